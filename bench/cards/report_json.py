#!/usr/bin/env python3
"""Reading R2Gen's `annotation.json`: `medeval bench check mimic-cxr` against the Python read
report-generation code does.

Generates a MIMIC-CXR-sized folder in R2Gen's layout under bench/out/cards/mimic-cxr (nothing is
downloaded; the reports are synthetic sentences of radiology words): `annotation.json` holding
`train` (270,790 records), `val` (2,130) and `test` (3,858) with R2Gen's record shape
`{id, study_id, subject_id, report, image_path, split}`, and one small image file per test
record under `images/p1x/p<subject>/s<study>/`.

Times, best of three, with peak memory (max RSS from GNU time):

- `medeval bench check mimic-cxr --json` with the built-in card: it hashes the file (SHA-256),
  streams the `test` records (parsing past `train` and `val` without keeping them), maps each to
  a report item, locates its image and counts the rows against the pinned 3,858;
- Python as R2Gen's data loader reads it: `json.loads(open(path).read())[split]`, plus the same
  SHA-256 and an existence check of every test image, so both sides do the same work.

    python3 bench/cards/report_json.py [MEDEVAL_BINARY]    # default: target/release/medeval

Only the standard library is used on the Python side (as R2Gen does), so no venv is needed.
"""

import hashlib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = ROOT / "bench" / "out" / "cards" / "mimic-cxr"
SPLITS = {"train": 270_790, "val": 2_130, "test": 3_858}
WORDS = (
    "the heart size is normal lungs are clear there is no focal consolidation pleural effusion "
    "or pneumothorax mediastinal contours are unremarkable mild cardiomegaly small left "
    "basilar atelectasis stable compared to prior no acute cardiopulmonary process"
).split()
# The eight-byte PNG signature: bench check locates images, it does not decode them.
IMAGE = b"\x89PNG\r\n\x1a\n" + bytes(56)


def report(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(3, 7)):
        words = rng.choices(WORDS, k=rng.randint(6, 14))
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def make_folder(folder: Path):
    rng = random.Random(7)
    annotation = {}
    subject = 10_000_000
    for split, count in SPLITS.items():
        records = []
        for i in range(count):
            if i % 3 == 0:
                subject += 1
            study = 50_000_000 + len(records) + 10_000_000 * list(SPLITS).index(split)
            dicom = f"{rng.getrandbits(128):032x}"
            path = f"p{str(subject)[:2]}/p{subject}/s{study}/{dicom}.jpg"
            records.append({
                "id": dicom,
                "study_id": study,
                "subject_id": subject,
                "report": report(rng),
                "image_path": [path],
                "split": split,
            })
            if split == "test":
                image = folder / "images" / path
                image.parent.mkdir(parents=True, exist_ok=True)
                image.write_bytes(IMAGE)
        annotation[split] = records
    (folder / "annotation.json").write_text(json.dumps(annotation))


def python_read(folder: Path):
    """R2Gen's read of one split, with the hashing and image checks bench check does."""
    path = folder / "annotation.json"
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    examples = json.loads(open(path).read())["test"]
    missing = [e for e in examples if not os.path.exists(folder / "images" / e["image_path"][0])]
    assert len(examples) == SPLITS["test"] and not missing


def timed_subprocess(args):
    """Wall seconds, max RSS (MiB, from GNU time) and stdout of a child process."""
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *map(str, args)], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
    max_rss_kib = int(result.stderr.strip().splitlines()[-1])
    return wall, max_rss_kib / 1024, result.stdout


def main():
    if sys.argv[1:2] == ["--python-read"]:
        python_read(Path(sys.argv[2]))
        return
    binary = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target" / "release" / "medeval"
    if not (OUT / "annotation.json").exists():
        make_folder(OUT)
    size = (OUT / "annotation.json").stat().st_size / 1e6
    command = [str(binary), "bench", "check", "mimic-cxr", "--data", str(OUT), "--json"]
    ours = min((timed_subprocess(command) for _ in range(3)), key=lambda r: r[0])
    checked = json.loads(ours[2])
    assert checked["ok"] and checked["rows"] == SPLITS["test"], checked
    python = [sys.executable, __file__, "--python-read", str(OUT)]
    theirs = min((timed_subprocess(python) for _ in range(3)), key=lambda r: r[0])
    print(f"annotation.json: {size:.0f} MB, {sum(SPLITS.values())} records, {SPLITS['test']} read")
    print(f"{'':<34} {'seconds':>8} {'max RSS MiB':>12}")
    print(f"{'medeval bench check mimic-cxr':<34} {ours[0]:>8.2f} {ours[1]:>12.0f}")
    print(f"{'python json.loads(...)[test]':<34} {theirs[0]:>8.2f} {theirs[1]:>12.0f}")
    print(f"ratio (python / medeval): time {theirs[0] / ours[0]:.1f}x, memory {theirs[1] / ours[1]:.1f}x")


if __name__ == "__main__":
    main()
