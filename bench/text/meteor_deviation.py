"""Measures medeval's METEOR against the METEOR 1.5 jar pycocoevalcap runs, and the time each
takes, on real and synthetic reports.

    bash bench/text/venv.sh && cargo build --release -p medeval-cli
    bench/text/.venv/bin/python bench/text/meteor_deviation.py --binary target/release/medeval \
        [--corpus iu,synthetic] [--pairs 10000]

Corpora: `iu` is the Indiana University chest X-ray reports with both sections (impression as
candidate, findings as reference; bench/text/iu_reports.py downloads them, never commit them),
`synthetic` the benchmark's synthetic report pairs. For each, pycocoevalcap's pipeline (PTB
tokenisation, then the jar with `-l en -norm`) runs twice: as pycocoevalcap runs it (all four
English modules, compared with medeval's `meteor`, which reads the jar's own data through
`--meteor-data`) and restricted to `-m "exact stem"` (compared with `meteor-exact-stem`).
Prints corpus and per-item differences, and wall times: medeval's whole command (reading,
tokenising, loading the data, scoring) and the jar's scoring alone (after tokenisation, with its
start-up and data loading).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
import iu_reports  # noqa: E402
from pycocoevalcap.meteor import meteor as meteor_module  # noqa: E402
from pycocoevalcap.meteor.meteor import Meteor  # noqa: E402
from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer  # noqa: E402

METEOR_DIR = os.path.dirname(os.path.abspath(meteor_module.__file__))


class JarMeteor(Meteor):
    """pycocoevalcap's wrapper with an explicit module list (None: the jar's default)."""

    def __init__(self, modules=None):
        cmd = ["java", "-jar", "-Xmx2G", meteor_module.METEOR_JAR, "-", "-", "-stdio",
               "-l", "en", "-norm"]
        if modules:
            cmd += ["-m", modules]
        self.meteor_cmd = cmd
        self.meteor_p = subprocess.Popen(cmd, cwd=METEOR_DIR, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lock = threading.Lock()


def corpus_paths(name, pairs):
    if name == "iu":
        refs, cands, _ = iu_reports.write_all()
        return refs, cands
    if name == "synthetic":
        return bench.write_corpus(os.path.join(HERE, "..", "out", "text"), pairs)
    raise SystemExit(f"unknown corpus {name!r} (known: iu, synthetic)")


def run_medeval(binary, refs_path, cands_path, metric):
    with tempfile.TemporaryDirectory() as tmp:
        items_path = os.path.join(tmp, "items.jsonl")
        start = time.perf_counter()
        out = subprocess.run([binary, "text", "--references", refs_path, "--candidates",
                              cands_path, "--metrics", metric, "--meteor-data", METEOR_DIR,
                              "--json", "--per-item", items_path],
                             check=True, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        with open(items_path) as f:
            items = {o["id"]: o[metric] for o in map(json.loads, f)}
    return json.loads(out.stdout)[metric], items, seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--corpus", default="iu,synthetic")
    parser.add_argument("--pairs", type=int, default=10000)
    args = parser.parse_args()
    print(f"{'corpus':<10}{'metric':<19}{'medeval':>10}{'jar':>10}{'corpus diff':>13}"
          f"{'max |item diff|':>17}{'items within 1e-6':>19}{'medeval s':>11}{'jar s':>8}")
    for name in args.corpus.split(","):
        refs_path, cands_path = corpus_paths(name, args.pairs)
        samples = bench.load(refs_path, cands_path)
        tok = PTBTokenizer()
        gts = tok.tokenize({i: [{"caption": r} for r in refs] for i, _, refs in samples})
        res = tok.tokenize({i: [{"caption": c}] for i, c, _ in samples})
        for metric, modules in [("meteor", None), ("meteor-exact-stem", "exact stem")]:
            ours_corpus, ours, ours_seconds = run_medeval(args.binary, refs_path, cands_path,
                                                          metric)
            start = time.perf_counter()
            jar = JarMeteor(modules)
            score, items = jar.compute_score(gts, res)
            jar_seconds = time.perf_counter() - start
            del jar
            diffs = [ours[i] - v for (i, _, _), v in zip(samples, items)]
            within = sum(1 for d in diffs if abs(d) <= 1e-6) / len(diffs)
            print(f"{name:<10}{metric:<19}{ours_corpus:10.6f}{score:10.6f}"
                  f"{ours_corpus - score:13.2e}{max(abs(d) for d in diffs):17.2e}"
                  f"{within:18.2%}{ours_seconds:11.2f}{jar_seconds:8.2f}")
            worst = sorted(zip(diffs, samples), key=lambda x: -abs(x[0]))[:3]
            for d, (i, cand, refs) in worst:
                if abs(d) > 1e-6:
                    print(f"    {i}: {d:+.6f}  {res[i][0]!r} vs {gts[i]!r}")


if __name__ == "__main__":
    main()
