"""Compares medeval's PTB tokenisation with pycocoevalcap's (Stanford jar) on the benchmark
corpus and prints the disagreements.

    cargo build --release -p medeval-text --example coco_tokenize
    bench/text/.venv/bin/python bench/text/ptb_agreement.py --example target/release/examples/coco_tokenize
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--example", required=True)
    parser.add_argument("--pairs", type=int, default=10000)
    args = parser.parse_args()
    refs_path, cands_path = bench.write_corpus(os.path.join(HERE, "..", "out", "text"), args.pairs)
    texts = []
    for _, cand, refs in bench.load(refs_path, cands_path):
        texts.append(cand)
        texts.extend(refs)
    stanford = PTBTokenizer().tokenize({i: [{"caption": t}] for i, t in enumerate(texts)})
    ours = subprocess.run([args.example], input="\n".join(t.replace("\n", " ") for t in texts) + "\n",
                          capture_output=True, text=True, check=True).stdout.split("\n")
    bad = [(t, o, stanford[i][0]) for i, (t, o) in enumerate(zip(texts, ours)) if o != stanford[i][0]]
    print(f"{len(texts) - len(bad)} of {len(texts)} texts tokenised identically")
    for text, o, s in bad[:20]:
        print(f"  {text!r}\n    medeval  {o!r}\n    stanford {s!r}")


if __name__ == "__main__":
    main()
