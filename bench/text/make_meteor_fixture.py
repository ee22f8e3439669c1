"""Records the METEOR 1.5 jar's scores with a small synonym and paraphrase data set written for
medeval's tests, so that CI checks all four modules against the jar without its real data.

    bash bench/text/venv.sh     # once: pycocoevalcap (which ships meteor-1.5.jar) into .venv
    bench/text/.venv/bin/python bench/text/make_meteor_fixture.py

The data is crates/medeval-text/tests/data/meteor-fixture/ (english.synsets and
english.exceptions in the jar's synonym format, paraphrase-en.txt in its paraphrase format,
written gzip-compressed beside it as paraphrase-en.gz, as the jar and medeval read it). The jar runs as pycocoevalcap runs it
(`-l en -norm`, stdio SCORE and EVAL lines) with `-d` and `-a` pointing at that data, and the
texts below (written for this file) are scored raw, without PTB tokenisation. Writes
crates/medeval-text/tests/data/meteor_fixture.json.
"""

import gzip
import json
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "crates", "medeval-text", "tests", "data")
FIXTURE = os.path.join(DATA, "meteor-fixture")

from pycocoevalcap.meteor import meteor as meteor_module  # noqa: E402

ITEMS = [
    ("identical", "the heart size is normal .", ["the heart size is normal ."]),
    ("synonym", "the heart is enlarged .", ["the heart is large ."]),
    ("synonym-morph", "small effusions are present", ["a small fluid collection is present"]),
    ("exception", "the vertebrae are intact", ["the vertebra is intact"]),
    ("exception-synonym", "the bronchi are clear", ["the airway is lucid"]),
    ("paraphrase-multi", "no evidence of pneumothorax", ["without pneumothorax"]),
    ("paraphrase-reverse", "without pleural effusion", ["no evidence of pleural effusion"]),
    ("paraphrase-both", "cardiac silhouette is within normal limits",
     ["heart size appears normal"]),
    ("paraphrase-overlap", "no acute disease and no new opacity",
     ["no new disease and no acute opacity"]),
    ("mixed", "the lungs are clear without focal consolidation or large effusions",
     ["lungs are lucid . no evidence of focal density or big pleural effusion ."]),
    ("density", "there is a left lower lobe opacity", ["there is lingula density"]),
    ("reorder", "stable cardiomegaly . lungs are clear .",
     ["the lungs are clear . cardiomegaly is unchanged ."]),
    ("function-words", "it is the one that was seen", ["the one is what it was"]),
    ("no-match", "pneumothorax", ["normal study"]),
    ("empty-candidate", "", ["normal study"]),
    ("repeats", "no no no effusion effusion", ["no effusion no effusion"]),
    ("two-refs", "heart size is enlarged",
     ["cardiac silhouette is large", "the heart size is normal"]),
    ("uppercase", "The Heart Is Enlarged.", ["The heart is large."]),
    ("long", "the cardiac silhouette is within normal limits . there is no evidence of "
             "pneumothorax or pleural effusion . the lungs are clear . the vertebrae are "
             "intact . no acute disease .",
     ["heart size appears normal . without pneumothorax or fluid . lungs are lucid . the "
      "vertebra is stable . no new disease ."]),
]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        syn = os.path.join(tmp, "synonym")
        os.makedirs(syn)
        for name in ("english.synsets", "english.exceptions"):
            shutil.copy(os.path.join(FIXTURE, name), syn)
        # The folder doubles as extracted data for medeval (`--meteor-data FOLDER`): the table
        # is compressed reproducibly (no timestamp) beside its readable source.
        para = os.path.join(FIXTURE, "paraphrase-en.gz")
        with open(os.path.join(FIXTURE, "paraphrase-en.txt"), "rb") as src, \
                open(para, "wb") as raw, \
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as dst:
            dst.write(src.read())
        cmd = ["java", "-jar", "-Xmx2G", meteor_module.METEOR_JAR, "-", "-", "-stdio", "-l", "en",
               "-norm", "-d", syn, "-a", para]
        lines = []
        for _, cand, refs in ITEMS:
            lines.append(" ||| ".join(["SCORE", " ||| ".join(refs), cand]))
        proc = subprocess.run(cmd, input="\n".join(lines) + "\n", capture_output=True,
                              text=True, check=True,
                              cwd=os.path.dirname(os.path.abspath(meteor_module.__file__)))
        stats = proc.stdout.strip().split("\n")
        eval_line = "EVAL ||| " + " ||| ".join(stats)
        proc = subprocess.run(cmd, input=eval_line + "\n", capture_output=True, text=True,
                              check=True,
                              cwd=os.path.dirname(os.path.abspath(meteor_module.__file__)))
        scores = [float(x) for x in proc.stdout.strip().split("\n")]
    out = {
        "generated_by": "bench/text/make_meteor_fixture.py: METEOR 1.5 jar (pycocoevalcap 1.2), "
                        "-l en -norm with the synonym and paraphrase data in meteor-fixture/",
        "items": [{"id": i, "candidate": c, "references": r, "jar": s, "jar_stats": st}
                  for (i, c, r), s, st in zip(ITEMS, scores[:-1], stats)],
        "corpus": scores[-1],
    }
    with open(os.path.join(DATA, "meteor_fixture.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    for (i, _, _), s in zip(ITEMS, scores):
        print(f"{i:20s} {s:.6f}")
    print("corpus", scores[-1])


if __name__ == "__main__":
    main()
