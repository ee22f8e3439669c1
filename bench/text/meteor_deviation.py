"""Measures how far medeval's METEOR (exact + stem modules) is from the METEOR 1.5 jar.

    bench/text/.venv/bin/python bench/text/meteor_deviation.py --binary target/release/medeval \
        [--pairs 10000]

Runs pycocoevalcap's pipeline (PTB tokenisation, then the jar with `-l en -norm`) on the
benchmark corpus with three module sets (exact+stem, exact+stem+synonym, and the default
exact+stem+synonym+paraphrase that pycocoevalcap uses) and compares each with medeval's corpus
and per-item values. The exact+stem row checks the implementation (it should agree to 1e-6);
the others measure the effect of the modules medeval does not ship.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
from pycocoevalcap.meteor import meteor as meteor_module  # noqa: E402
from pycocoevalcap.meteor.meteor import Meteor  # noqa: E402
from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer  # noqa: E402


class JarMeteor(Meteor):
    """pycocoevalcap's wrapper with an explicit module list (None: the jar's default)."""

    def __init__(self, modules=None):
        cmd = ["java", "-jar", "-Xmx2G", meteor_module.METEOR_JAR, "-", "-", "-stdio",
               "-l", "en", "-norm"]
        if modules:
            cmd += ["-m", modules]
        self.meteor_cmd = cmd
        self.meteor_p = subprocess.Popen(
            cmd, cwd=os.path.dirname(os.path.abspath(meteor_module.__file__)),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lock = threading.Lock()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--pairs", type=int, default=10000)
    args = parser.parse_args()
    refs_path, cands_path = bench.write_corpus(os.path.join(HERE, "..", "out", "text"), args.pairs)
    samples = bench.load(refs_path, cands_path)

    with tempfile.TemporaryDirectory() as tmp:
        items_path = os.path.join(tmp, "items.jsonl")
        out = subprocess.run([args.binary, "text", "--references", refs_path, "--candidates",
                              cands_path, "--metrics", "meteor", "--json", "--per-item",
                              items_path], check=True, capture_output=True, text=True)
        ours_corpus = json.loads(out.stdout)["meteor"]
        with open(items_path) as f:
            ours = {o["id"]: o["meteor"] for o in map(json.loads, f)}

    tok = PTBTokenizer()
    gts = tok.tokenize({i: [{"caption": r} for r in refs] for i, _, refs in samples})
    res = tok.tokenize({i: [{"caption": c}] for i, c, _ in samples})
    print(f"METEOR on {len(samples)} benchmark pairs; medeval (exact+stem) corpus {ours_corpus:.6f}")
    print(f"{'jar modules':<34}{'jar corpus':>11}{'corpus diff':>13}{'mean |item diff|':>18}"
          f"{'max |item diff|':>17}{'items within 1e-6':>19}")
    for label, modules in [("exact stem", "exact stem"),
                           ("exact stem synonym", "exact stem synonym"),
                           ("all four (pycocoevalcap default)", None)]:
        jar = JarMeteor(modules)
        score, items = jar.compute_score(gts, res)
        diffs = [ours[i] - v for (i, _, _), v in zip(samples, items)]
        within = sum(1 for d in diffs if abs(d) <= 1e-6) / len(diffs)
        print(f"{label:<34}{score:11.6f}{ours_corpus - score:13.6f}"
              f"{sum(abs(d) for d in diffs) / len(diffs):18.6f}{max(abs(d) for d in diffs):17.6f}"
              f"{within:18.1%}")
        del jar


if __name__ == "__main__":
    main()
