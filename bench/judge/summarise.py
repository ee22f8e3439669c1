"""One line per scorer for bench/judge/realmodel.sh: who judged, how many it decided, and its
agreement with the labels (accuracy, Cohen's kappa, balanced F1, with intervals)."""
import json
import sys

name, wall, run_path, agree_path = sys.argv[1:5]
run, agree = json.load(open(run_path)), json.load(open(agree_path))


def number(value):
    return "undefined" if value is None else f"{value:.3f}"


def interval(ci):
    return f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""


judge = run.get("judge")
head = f"{name}:"
if judge:
    head += f" judged {judge['judged']}, unjudged {judge['unjudged']} {judge['unjudged_reasons']},"
if wall != "-":
    head += f" {wall} s;"
print(
    f"{head} vs labels n={agree['n']} accuracy {number(agree['accuracy'])}{interval(agree['accuracy_ci'])}"
    f" kappa {number(agree['kappa'])}{interval(agree['kappa_ci'])} balanced F1 {number(agree['balanced_f1'])}"
    f" (labelled samples without a verdict: {agree['labelled_without_verdict']})"
)
