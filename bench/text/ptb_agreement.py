"""Compares medeval's PTB tokenisation with pycocoevalcap's (the Stanford CoreNLP 3.4.1 jar it
runs) and prints every disagreement.

    cargo build -p medeval-text --example coco_tokenize
    bench/text/.venv/bin/python bench/text/ptb_agreement.py \
        --example target/debug/examples/coco_tokenize [--corpus iu,synthetic,edge] [--show 20]

Corpora: `iu` is every section of every Indiana University chest X-ray report (bench/text/
iu_reports.py downloads them; never commit them), `synthetic` the benchmark's synthetic report
pairs, `edge` generated text that combines the constructs PTB tokenisers treat specially
(numbered lists glued to words, abbreviations, decimals and units, clitics, quotes, brackets,
dashes, slashes, symbols) in many contexts. `--record FILE` writes the texts and the jar's
tokens of the `edge` corpus as JSON, the form crates/medeval-text/tests/data/ptb_coco.json
keeps.
"""

import argparse
import itertools
import json
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
import iu_reports  # noqa: E402
from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer  # noqa: E402

# Pieces the edge corpus combines: each a short text exercising one rule of the lexer.
PIECES = [
    "1.Lucency in the left clavicle.", "2.No acute disease.", "3.Stable.", "10.Heart normal",
    "1.lucency", "1)Lungs clear", "1-Lungs", "a.No effusion", "A.No effusion", "II.Lungs",
    "normal.Lungs are clear", "clear.no effusion", "effusion.2. No change", "2.5cm", "2.5 cm",
    "3.5mm.", "0.5x0.3 cm", "T4-5", "T4.5", "C5-C6", "L1.", "4.", "No. 5", "no. 5", "Fig. 2",
    "approx. 3 cm", "vs. prior", "e.g. effusion", "i.e. normal", "U.S. Army", "Dr. Smith",
    "etc. The", "Mr. Jones", "p.m.", "a.m. study", "x-ray", "X-XXXX", "XXXX.", "XXXX. XXXX",
    "can't", "won't", "it's", "patient's", "'s", "don't", "cannot", "o'clock", "\"stable\"",
    "'quoted'", "`tick`", "(left)", "[right]", "{both}", "--", "-", "...", "..", "!", "?!",
    "50%", "$100", "#3", "@home", "a&b", "AT&T", "3/4", "1/2-inch", "10:30", "1,000",
    "+5", "-5", "5-10", "~5", "<5", ">5", "=5", "5x", "2nd", "3rd", "1st.", "2.Bones",
    "12.Right", "1.5.", "1.2.3", "v.2", "Type 2.Diabetes", "s/p", "w/o", "h/o CABG",
    "CHF.", "COPD.", "AP.", "PA.", "PA and lateral.", "No.", "yes.", "Lungs:clear", "a;b",
    "a,b", "1,2", "a:b", "1:2", "level.The", "level.the", "i.e.,", "e.g.,", "etc.,",
    "St. Louis", "Jan. 5", "Inc.", "Ltd. The", "No.5", "no.5", "Fig.2", "vs.", "VS.",
    "1. 2. 3.", "a. b. c.", "A. B. C.", "(1) effusion", "1) effusion", "#1.", "*", "**",
    "_", "__", "&", "&amp;", "a/b/c", "and/or", "+/-", "+-", "-/-", "  multiple   spaces  ",
]


def edge_texts(n, seed=7):
    """n texts of 1-4 pieces joined by spaces, or glued together, deterministically."""
    rng = random.Random(seed)
    texts = list(PIECES)
    for a, b in itertools.product(["1.", "2.", "a.", "A.", "normal.", "XXXX.", "3.5."],
                                  ["Lucency", "lucency", "No", "no", "5", "The", "(left)"]):
        texts.append(a + b)
    while len(texts) < n:
        k = rng.randint(1, 4)
        parts = rng.sample(PIECES, k)
        texts.append(rng.choice([" ", "", " ", ". "]).join(parts))
    return [" ".join(t.split()) for t in texts[:n]]


def corpus_texts(name, pairs):
    if name == "iu":
        _, _, texts_path = iu_reports.write_all()
        with open(texts_path) as f:
            return [line.rstrip("\n") for line in f if line.strip()]
    if name == "synthetic":
        refs_path, cands_path = bench.write_corpus(os.path.join(HERE, "..", "out", "text"), pairs)
        texts = []
        for _, cand, refs in bench.load(refs_path, cands_path):
            texts.append(cand)
            texts.extend(refs)
        return texts
    if name == "edge":
        return edge_texts(3000)
    raise SystemExit(f"unknown corpus {name!r} (known: iu, synthetic, edge)")


def stanford_tokens(texts):
    """pycocoevalcap's own tokenisation of each text (PTB jar, then its punctuation filter)."""
    out = PTBTokenizer().tokenize({i: [{"caption": t}] for i, t in enumerate(texts)})
    return [out[i][0] for i in range(len(texts))]


def medeval_tokens(example, texts):
    proc = subprocess.run([example], input="\n".join(t.replace("\n", " ") for t in texts) + "\n",
                          capture_output=True, text=True, check=True)
    return proc.stdout.split("\n")[:len(texts)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--example", required=True)
    parser.add_argument("--corpus", default="iu,synthetic,edge")
    parser.add_argument("--pairs", type=int, default=10000)
    parser.add_argument("--show", type=int, default=20)
    parser.add_argument("--record", help="write the edge corpus and the jar's tokens here")
    args = parser.parse_args()
    failed = False
    for name in args.corpus.split(","):
        texts = corpus_texts(name, args.pairs)
        stanford = stanford_tokens(texts)
        ours = medeval_tokens(args.example, texts)
        bad = [(t, o, s) for t, o, s in zip(texts, ours, stanford) if o != s]
        print(f"{name}: {len(texts) - len(bad)} of {len(texts)} texts tokenised identically")
        for text, o, s in bad[:args.show]:
            print(f"  {text!r}\n    medeval  {o!r}\n    stanford {s!r}")
        failed |= bool(bad)
        if args.record and name == "edge":
            with open(args.record, "w") as f:
                json.dump([{"text": t, "tokens": s} for t, s in zip(texts, stanford)], f,
                          indent=0, ensure_ascii=False)
                f.write("\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
