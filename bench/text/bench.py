"""Times medeval's report metrics against the Python reference implementations.

Run through bench/text/run.sh, which creates the venv and builds the release binary. For each
corpus size it writes synthetic radiology report pairs (bench/text/synth.py, deterministic) as
JSONL, times `medeval text` end to end (process start, JSON reading, tokenisation, metric; the
median wall and CPU time of several runs, with the machine's load average, since other jobs
slow it down), times the Python tools on the same pairs (tokenisation + metric, in
process), checks that medeval's corpus values agree, and prints a side-by-side table.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import synth  # noqa: E402
from pycocoevalcap.meteor import meteor as meteor_module  # noqa: E402

# The METEOR 1.5 jar and its data, as pycocoevalcap installs them; medeval reads the same data.
METEOR_DIR = os.path.dirname(os.path.abspath(meteor_module.__file__))


def write_corpus(directory, n):
    os.makedirs(directory, exist_ok=True)
    refs_path = os.path.join(directory, f"refs-{n}.jsonl")
    cands_path = os.path.join(directory, f"cands-{n}.jsonl")
    if not (os.path.exists(refs_path) and os.path.exists(cands_path)):
        pairs = synth.pairs(n, seed=11)
        with open(refs_path, "w") as r, open(cands_path, "w") as c:
            for i, cand, refs in pairs:
                r.write(json.dumps({"id": i, "text": refs if len(refs) > 1 else refs[0]}) + "\n")
                c.write(json.dumps({"id": i, "text": cand}) + "\n")
    return refs_path, cands_path


def load(refs_path, cands_path):
    refs = {}
    with open(refs_path) as f:
        for line in f:
            o = json.loads(line)
            refs[o["id"]] = o["text"] if isinstance(o["text"], list) else [o["text"]]
    samples = []
    with open(cands_path) as f:
        for line in f:
            o = json.loads(line)
            samples.append((o["id"], o["text"], refs[o["id"]]))
    return samples


def time_medeval(binary, refs, cands, flavor, metric, extra, repeats):
    """Median wall time and median CPU time (user + system) of the process, and its output."""
    extra = [METEOR_DIR if e == "PYCOCOEVALCAP_METEOR" else e for e in extra]
    cmd = [binary, "text", "--references", refs, "--candidates", cands, "--flavor", flavor,
           "--metrics", metric, "--json", *extra]
    times = []
    cpu_times = []
    out = None
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        out = json.loads(proc.stdout)
    return statistics.median(times), statistics.median(cpu_times), out


def load_average():
    """The 1-minute load average: other jobs on the machine slow every timing down."""
    return os.getloadavg()[0]


def python_timers(samples):
    """name -> callable returning (seconds, corpus value) for the reference implementation."""
    ids = [i for i, _, _ in samples]
    hyps = [c for _, c, _ in samples]
    refs = [r for _, _, r in samples]
    state = {}

    def coco_tokenized():
        if "coco" not in state:
            from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer
            start = time.perf_counter()
            tok = PTBTokenizer()
            gts = tok.tokenize({i: [{"caption": x} for x in r] for i, r in zip(ids, refs)})
            res = tok.tokenize({i: [{"caption": h}] for i, h in zip(ids, hyps)})
            state["coco"] = (time.perf_counter() - start, gts, res)
        return state["coco"]

    def coco(scorer_factory, pick):
        def run():
            tok_time, gts, res = coco_tokenized()
            scorer = scorer_factory()
            start = time.perf_counter()
            score, _ = scorer.compute_score(gts, res)
            return tok_time + time.perf_counter() - start, pick(score)
        return run

    def sacre(tokenize):
        def run():
            from sacrebleu.metrics import BLEU
            width = max(len(r) for r in refs)
            streams = [[r[k] if k < len(r) else None for r in refs] for k in range(width)]
            start = time.perf_counter()
            score = BLEU(tokenize=tokenize).corpus_score(hyps, streams)
            return time.perf_counter() - start, score.score
        return run

    def rouge(stem):
        def run():
            from rouge_score import rouge_scorer
            scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=stem)
            start = time.perf_counter()
            values = [scorer.score_multi(r, h)["rougeL"].fmeasure for h, r in zip(hyps, refs)]
            return time.perf_counter() - start, sum(values) / len(values)
        return run

    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.meteor.meteor import Meteor
    from pycocoevalcap.rouge.rouge import Rouge

    class MeteorExactStem(Meteor):
        """The jar restricted to the exact and stem modules (`-m "exact stem"`)."""

        def __init__(self):
            super().__init__()
            self.meteor_p.kill()
            self.meteor_cmd += ["-m", "exact stem"]
            self.meteor_p = subprocess.Popen(
                self.meteor_cmd, cwd=METEOR_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE)

    class QuietBleu(Bleu):
        def compute_score(self, gts, res):
            return super().compute_score(gts, res, verbose=0)

    return {
        "coco bleu": coco(lambda: QuietBleu(4), lambda s: s[3]),
        "coco rouge-l": coco(Rouge, float),
        "coco cider-d": coco(Cider, float),
        "coco meteor": coco(Meteor, float),
        "coco meteor-exact-stem": coco(MeteorExactStem, float),
        "sacrebleu bleu (13a)": sacre("13a"),
        "sacrebleu bleu (intl)": sacre("intl"),
        "rouge-score rouge-l": rouge(False),
        "rouge-score rouge-l +stem": rouge(True),
    }


CASES = [
    ("coco bleu", "coco", "bleu", [], "bleu"),
    ("coco rouge-l", "coco", "rouge-l", [], "rouge-l"),
    ("coco cider-d", "coco", "cider-d", [], "cider-d"),
    ("coco meteor", "coco", "meteor", ["--meteor-data", "PYCOCOEVALCAP_METEOR"], "meteor"),
    ("coco meteor-exact-stem", "coco", "meteor-exact-stem", [], "meteor-exact-stem"),
    ("sacrebleu bleu (13a)", "sacrebleu", "bleu", ["--tokenize", "13a"], "bleu"),
    ("sacrebleu bleu (intl)", "sacrebleu", "bleu", ["--tokenize", "intl"], "bleu"),
    ("rouge-score rouge-l", "rouge-score", "rouge-l", [], "rouge-l"),
    ("rouge-score rouge-l +stem", "rouge-score", "rouge-l", ["--stemmer"], "rouge-l"),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--python-sizes", default="10000",
                        help="sizes at which to also time the Python tools")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(HERE, "..", "out", "text"))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    python_sizes = {int(s) for s in args.python_sizes.split(",") if s}

    results = {}
    for n in sizes:
        refs_path, cands_path = write_corpus(args.out, n)
        timers = python_timers(load(refs_path, cands_path)) if n in python_sizes else {}
        for name, flavor, metric, extra, key in CASES:
            load_before = load_average()
            ours, cpu, out = time_medeval(args.binary, refs_path, cands_path, flavor, metric,
                                          extra, args.repeats)
            load_after = load_average()
            theirs, value = timers[name]() if name in timers else (None, None)
            results[(name, n)] = (ours, cpu, max(load_before, load_after), theirs, out[key],
                                  value)
            print(f"  measured {name} n={n}: medeval {ours:.3f} s (cpu {cpu:.3f} s, load "
                  f"{load_before:.2f}-{load_after:.2f})"
                  + (f", python {theirs:.2f} s" if theirs else ""), file=sys.stderr, flush=True)

    print()
    print(f"{'metric':<28}{'pairs':>8}{'medeval s':>11}{'cpu s':>8}{'load':>6}{'python s':>10}"
          f"{'speed-up':>10}{'medeval value':>16}{'python value':>15}")
    for (name, n), (ours, cpu, busy, theirs, mine, value) in results.items():
        python = f"{theirs:10.2f}" if theirs else f"{'-':>10}"
        ratio = f"{theirs / ours:9.0f}x" if theirs else f"{'-':>10}"
        ref_value = f"{value:15.6f}" if value is not None else f"{'-':>15}"
        print(f"{name:<28}{n:>8}{ours:11.3f}{cpu:8.3f}{busy:6.2f}{python}{ratio}{mine:16.6f}"
              f"{ref_value}")
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print()
        print(f"scaling {small} -> {large} pairs ({large / small:.0f}x more):")
        for name, *_ in CASES:
            a, a_cpu = results[(name, small)][:2]
            b, b_cpu = results[(name, large)][:2]
            print(f"  {name:<28}{b / a:6.1f}x time{b_cpu / a_cpu:7.1f}x cpu")


if __name__ == "__main__":
    main()
