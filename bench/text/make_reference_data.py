"""Writes the reference values medeval-text's tests compare against (run by hand).

    bash bench/text/venv.sh            # once: pycocoevalcap, sacrebleu, rouge-score into .venv
    bench/text/.venv/bin/python bench/text/make_reference_data.py

For each fixed corpus below it records, in crates/medeval-text/tests/data/<corpus>.json, the
samples and the values the reference implementations compute for them:

* coco: pycocoevalcap 1.2 (PTBTokenizer via the Stanford jar, Bleu(4), Rouge, Cider, Meteor),
  with METEOR run twice: as pycocoevalcap runs it (all four English modules) and restricted to
  the exact and stem modules (`-m "exact stem"`), which is what medeval implements;
* sacrebleu-13a / sacrebleu-intl: sacrebleu BLEU corpus_score (max order 1..4) and
  sentence_score (effective order);
* rouge-score / rouge-score-stem: RougeScorer(['rougeL', 'rougeLsum']).score_multi;
* ptb: the PTB tokenisation pycocoevalcap produced for every text.
"""

import json
import os
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
OUT = os.path.join(HERE, "..", "..", "crates", "medeval-text", "tests", "data")

import synth  # noqa: E402
from pycocoevalcap.bleu.bleu import Bleu  # noqa: E402
from pycocoevalcap.cider.cider import Cider  # noqa: E402
from pycocoevalcap.meteor import meteor as meteor_module  # noqa: E402
from pycocoevalcap.meteor.meteor import Meteor  # noqa: E402
from pycocoevalcap.rouge.rouge import Rouge, my_lcs  # noqa: E402
from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer  # noqa: E402
from rouge_score import rouge_scorer  # noqa: E402
from sacrebleu.metrics import BLEU  # noqa: E402


class MeteorExactStem(Meteor):
    """pycocoevalcap's Meteor wrapper with the jar restricted to the exact and stem modules."""

    def __init__(self):
        self.meteor_cmd = ["java", "-jar", "-Xmx2G", meteor_module.METEOR_JAR, "-", "-", "-stdio",
                           "-l", "en", "-norm", "-m", "exact stem"]
        self.meteor_p = subprocess.Popen(
            self.meteor_cmd, cwd=os.path.dirname(os.path.abspath(meteor_module.__file__)),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lock = threading.Lock()


EDGE = [
    ("empty-candidate", "", ["No acute cardiopulmonary process."]),
    ("one-token", "Normal.", ["The heart size is normal."]),
    ("two-tokens", "Lungs clear", ["The lungs are clear."]),
    ("three-tokens", "No pleural effusion", ["No pleural effusion or pneumothorax."]),
    ("empty-reference", "No acute disease.", [""]),
    ("both-empty", "", [""]),
    ("punctuation-only", "...", ["No acute disease."]),
    ("identical", "Mild cardiomegaly. No effusion.", ["Mild cardiomegaly. No effusion."]),
    ("repeated-ngrams", "no no no no no effusion effusion effusion",
     ["no effusion no effusion no effusion"]),
    ("repeated-sentences", "The lungs are clear. The lungs are clear. The lungs are clear.",
     ["The lungs are clear."]),
    ("multi-reference", "Heart size normal. Lungs clear.",
     ["The heart size is normal.", "Lungs are clear. Heart is normal.", "Normal chest."]),
    ("multi-reference-one-empty", "Stable chest radiograph.", ["", "Stable chest radiograph."]),
    ("longer-candidate", "The heart size is normal and the lungs are clear and there is no effusion "
     "and there is no pneumothorax and no acute osseous abnormality is seen.", ["Normal chest."]),
    ("numbers", "There is a 2.5 cm nodule at T4-5, 1,000 mL, 50% (stable).",
     ["A 2.5 cm nodule is seen at T4-5; 50% unchanged."]),
    ("abbreviations", "Dr. Smith e.g. vs. approx. 3 cm, etc.", ["Dr. Smith noted approx. 3 cm, e.g. stable."]),
    ("clitics", "There's no effusion and it can't be excluded; patient's heart isn't enlarged.",
     ["There is no effusion; the patient's heart is not enlarged."]),
    ("quotes-and-brackets", "\"Stable\" nodule (left) [see prior] {note}.",
     ["Stable nodule (left)."]),
    ("newlines", "Heart size normal.\nLungs clear.\nNo effusion.",
     ["The heart size is normal.\nThe lungs are clear."]),
    ("stems", "Effusions noted; opacities improving; atelectatic changes.",
     ["Effusion is noted. Opacity improved. Atelectasis."]),
    ("hyphens-and-slashes", "Left-sided effusion/consolidation and/or x-ray T12-L1 C5/C6.",
     ["Left sided effusion or consolidation on x-ray."]),
]

UNICODE = [
    ("accents", "Café naïve résumé: no effusión.", ["Cafe naive resume: no effusion."]),
    ("curly-quotes", "\u201cStable\u201d \u2018nodule\u2019 \u2014 unchanged\u2026",
     ["\"Stable\" 'nodule' -- unchanged..."]),
    ("greek", "Μικρή πλευριτική συλλογή.", ["Μικρή πλευριτική συλλογή αριστερά."]),
    ("cjk", "心脏大小正常。 肺部清晰。", ["心脏大小正常。"]),
    ("mixed-scripts", "No effusion — 无积液 — keine Ergüsse.", ["No effusion. Keine Ergüsse."]),
    ("symbols", "Size 3×4 cm ± 0.5 mm, 37°C, €100 → stable.", ["Size 3 x 4 cm, stable."]),
    ("nbsp", "Heart\u00a0size normal.", ["Heart size normal."]),
    ("fullwidth", "ｆｕｌｌ width text.", ["full width text."]),
]


def long_corpus():
    items = []
    for i, (rid, cand, refs) in enumerate(synth.pairs(6, seed=99)):
        items.append((f"long-{i}", " ".join([cand] * 12), [" ".join(refs * 10)]))
    return items


CORPORA = {
    "edge": EDGE,
    "unicode": UNICODE,
    "radiology": [(i, c, r) for i, c, r in synth.pairs(300, seed=7)],
    "long": long_corpus(),
}


def coco_values(samples):
    gts = {i: [{"caption": r} for r in refs] for i, _, refs in samples}
    res = {i: [{"caption": c}] for i, c, _ in samples}
    tok = PTBTokenizer()
    gts_t = tok.tokenize(gts)
    res_t = tok.tokenize(res)
    out = {"corpus": {}, "items": {i: {} for i, _, _ in samples}}
    bleu, bleu_items = Bleu(4).compute_score(gts_t, res_t, verbose=0)
    for k in range(4):
        out["corpus"][f"bleu-{k + 1}"] = bleu[k]
        for (i, _, _), v in zip(samples, bleu_items[k]):
            out["items"][i][f"bleu-{k + 1}"] = v
    rouge, rouge_items = Rouge().compute_score(gts_t, res_t)
    out["corpus"]["rouge-l"] = float(rouge)
    for (i, _, _), v in zip(samples, rouge_items):
        out["items"][i]["rouge-l"] = float(v)
    # pycocoevalcap computes but does not return the maximised precision and recall that enter
    # its F; recompute them with its own LCS and tokenisation (split on single spaces).
    for i, _, _ in samples:
        cand = res_t[i][0].split(" ")
        refs = [r.split(" ") for r in gts_t[i]]
        out["items"][i]["rouge-l-p"] = max(my_lcs(r, cand) / len(cand) for r in refs)
        out["items"][i]["rouge-l-r"] = max(my_lcs(r, cand) / len(r) for r in refs)
    for key in ["rouge-l-p", "rouge-l-r"]:
        out["corpus"][key] = sum(v[key] for v in out["items"].values()) / len(samples)
    cider, cider_items = Cider().compute_score(gts_t, res_t)
    out["corpus"]["cider-d"] = float(cider)
    for (i, _, _), v in zip(samples, cider_items):
        out["items"][i]["cider-d"] = float(v)
    for key, scorer in [("meteor-jar-default", Meteor()), ("meteor-jar-exact-stem", MeteorExactStem())]:
        score, items = scorer.compute_score(gts_t, res_t)
        out["corpus"][key] = score
        for (i, _, _), v in zip(samples, items):
            out["items"][i][key] = v
        del scorer
    ptb = {i: {"candidate": res_t[i][0], "references": gts_t[i]} for i, _, _ in samples}
    return out, ptb


def sacre_values(samples, tokenize):
    hyps = [c for _, c, _ in samples]
    width = max(len(r) for _, _, r in samples)
    streams = [[r[k] if k < len(r) else None for _, _, r in samples] for k in range(width)]
    out = {"corpus": {}, "items": {i: {} for i, _, _ in samples}}
    for n in range(1, 5):
        score = BLEU(tokenize=tokenize, max_ngram_order=n).corpus_score(hyps, streams)
        out["corpus"][f"bleu-{n}"] = score.score
        if n == 4:
            out["corpus"]["bleu-bp"] = score.bp
            out["corpus"]["bleu-sys-len"] = score.sys_len
            out["corpus"]["bleu-ref-len"] = score.ref_len
            for k, p in enumerate(score.precisions):
                out["corpus"][f"bleu-p{k + 1}"] = p
        sentence = BLEU(tokenize=tokenize, max_ngram_order=n, effective_order=True)
        for i, c, refs in samples:
            out["items"][i][f"bleu-{n}"] = sentence.sentence_score(c, refs).score
    return out


def rouge_values(samples, stem):
    scorer = rouge_scorer.RougeScorer(["rougeL", "rougeLsum"], use_stemmer=stem)
    out = {"corpus": {}, "items": {}}
    for i, c, refs in samples:
        s = scorer.score_multi(refs, c)
        out["items"][i] = {
            "rouge-l": s["rougeL"].fmeasure, "rouge-l-p": s["rougeL"].precision,
            "rouge-l-r": s["rougeL"].recall, "rouge-lsum": s["rougeLsum"].fmeasure,
            "rouge-lsum-p": s["rougeLsum"].precision, "rouge-lsum-r": s["rougeLsum"].recall,
        }
    for key in ["rouge-l", "rouge-l-p", "rouge-l-r", "rouge-lsum", "rouge-lsum-p", "rouge-lsum-r"]:
        values = [v[key] for v in out["items"].values()]
        out["corpus"][key] = sum(values) / len(values)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, samples in CORPORA.items():
        coco, ptb = coco_values(samples)
        data = {
            "generated_by": "bench/text/make_reference_data.py",
            "samples": [{"id": i, "candidate": c, "references": r} for i, c, r in samples],
            "coco": coco,
            "ptb": ptb,
            "sacrebleu-13a": sacre_values(samples, "13a"),
            "sacrebleu-intl": sacre_values(samples, "intl"),
            "rouge-score": rouge_values(samples, False),
            "rouge-score-stem": rouge_values(samples, True),
        }
        path = os.path.join(OUT, f"{name}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
        print(f"wrote {path} ({len(samples)} items)")


if __name__ == "__main__":
    main()
