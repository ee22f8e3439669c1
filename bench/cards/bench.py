#!/usr/bin/env python3
"""Reading benchmark files: `medeval bench check` against the Python reads toolkits do.

Generates two benchmark-sized folders under bench/out/cards (nothing is downloaded):

- a PathVQA-sized Hugging Face parquet split: 6,719 rows in two shards, each with a ~40 KB image
  in a `{bytes, path}` struct (Snappy, as `datasets` writes it);
- a VLMEvalKit TSV of 5,000 multiple-choice rows with ~40 KB base64 images, one row in ten
  reusing another row's image by index.

and times, best of three:

- `medeval bench check` with a card pinning the row count: it hashes every file (SHA-256), reads
  every row, maps it to an item (options, gold letter, answer type, image reference checked to be
  a PNG/JPEG), and counts rows;
- pyarrow reading the parquet shards row by row (`iter_batches(...).to_pylist()`), checking the
  image magic and hashing the files - the parquet part of what a Python loader does;
- pandas `read_csv(sep="\\t")`, as VLMEvalKit loads a TSV, plus the same hashing.

Peak memory (max RSS) of every run comes from GNU time (`/usr/bin/time -f %M`).

    python3 bench/cards/bench.py [MEDEVAL_BINARY]    # default: target/release/medeval

Python tools go into bench/cards/.venv (created on first use).
"""

import base64
import hashlib
import json
import os
import random
import subprocess
import sys
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = ROOT / "bench" / "out" / "cards"
VENV = HERE / ".venv"
PARQUET_ROWS = 6719
TSV_ROWS = 5000
IMAGE_BYTES = 40_000


def ensure_venv():
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    python = VENV / "bin" / "python"
    if not python.exists():
        venv.create(VENV, with_pip=True)
        subprocess.check_call([str(python), "-m", "pip", "install", "-q", "pyarrow", "pandas"])
    os.execv(str(python), [str(python), __file__, *sys.argv[1:]])


ensure_venv()

import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def fake_png(rng: random.Random) -> bytes:
    """PNG magic followed by incompressible bytes: the size of a real image, which is what file
    reading costs; neither side decodes pixels when loading."""
    return PNG_MAGIC + rng.randbytes(IMAGE_BYTES)


def make_parquet(folder: Path):
    rng = random.Random(1)
    struct = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    half = PARQUET_ROWS // 2
    for shard, (start, stop) in enumerate([(0, half), (half, PARQUET_ROWS)]):
        rows = range(start, stop)
        table = pa.table(
            {
                "image": pa.array([{"bytes": fake_png(rng), "path": None} for _ in rows], type=struct),
                "question": [f"Is there finding {i}?" if i % 2 else f"What is shown in {i}?" for i in rows],
                "answer": ["yes" if i % 4 == 1 else "no" if i % 2 else f"organ {i % 7}" for i in rows],
            }
        )
        path = folder / "data" / f"test-0000{shard}-of-00002.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression="snappy", row_group_size=500)
    card = (ROOT / "crates/medeval-data/cards/pathvqa.toml").read_text()
    card = card.replace('name = "pathvqa"', 'name = "bench-parquet"')
    (folder.parent / "bench-parquet.toml").write_text(card)


def make_tsv(folder: Path):
    rng = random.Random(2)
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["index\tquestion\thint\tA\tB\tC\tD\tanswer\timage\tcategory"]
    for i in range(TSV_ROWS):
        image = str(i - 1) if i % 10 == 9 else base64.b64encode(fake_png(rng)).decode()
        lines.append(f"{i}\tWhich finding is shown in case {i}?\t\tA{i}\tB{i}\tC{i}\tD{i}\t{'ABCD'[i % 4]}\t{image}\tcat{i % 5}")
    (folder / "Bench.tsv").write_text("\n".join(lines) + "\n")
    card = (ROOT / "crates/medeval-data/cards/vlmevalkit-tsv.toml").read_text()
    card = card.replace('name = "vlmevalkit-tsv"', 'name = "bench-tsv"')
    card = card.replace('files = ["*.tsv"]', f'files = ["*.tsv"]\nexpected_rows = {TSV_ROWS}')
    (folder.parent / "bench-tsv.toml").write_text(card)


def sha256_files(paths):
    for path in paths:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)


def python_parquet(folder: Path):
    files = sorted((folder / "data").glob("test-*.parquet"))
    sha256_files(files)
    rows = 0
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(columns=["image", "question", "answer"]):
            for row in batch.to_pylist():
                assert row["image"]["bytes"].startswith(PNG_MAGIC)
                rows += 1
    assert rows == PARQUET_ROWS, rows


def python_tsv(folder: Path):
    path = folder / "Bench.tsv"
    sha256_files([path])
    frame = pd.read_csv(path, sep="\t")
    assert len(frame) == TSV_ROWS


def timed_subprocess(args):
    """Wall seconds, max RSS (MiB, from GNU time) and stdout of a child process."""
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *map(str, args)], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
    max_rss_kib = int(result.stderr.strip().splitlines()[-1])
    return wall, max_rss_kib / 1024, result.stdout


def python_in_child(kind: str, folder: Path):
    """Runs one Python read in a fresh interpreter, so its memory is measured alone."""
    return timed_subprocess([sys.executable, __file__, "--python-read", kind, str(folder)])


def main():
    if sys.argv[1:2] == ["--python-read"]:
        {"parquet": python_parquet, "tsv": python_tsv}[sys.argv[2]](Path(sys.argv[3]))
        return
    binary = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target" / "release" / "medeval"
    parquet_dir = OUT / "bench-parquet"
    tsv_dir = OUT / "bench-tsv"
    if not parquet_dir.exists():
        make_parquet(parquet_dir)
    if not tsv_dir.exists():
        make_tsv(tsv_dir)
    size = lambda d: sum(p.stat().st_size for p in d.rglob("*") if p.is_file()) / 1e6  # noqa: E731
    results = []
    for name, folder, kind, what in [
        ("bench-parquet", parquet_dir, "parquet", "pyarrow iter_batches + to_pylist"),
        ("bench-tsv", tsv_dir, "tsv", "pandas read_csv (VLMEvalKit's load)"),
    ]:
        card = OUT / f"{name}.toml"
        command = [str(binary), "bench", "check", name, "--card", str(card), "--data", str(folder), "--json"]
        ours = min((timed_subprocess(command) for _ in range(3)), key=lambda r: r[0])
        report = json.loads(ours[2])
        assert report["ok"], report
        theirs = min((python_in_child(kind, folder) for _ in range(3)), key=lambda r: r[0])
        results.append((name, size(folder), report["rows"], ours, theirs, what))
    print(f"{'benchmark':<14} {'MB':>6} {'rows':>6} {'medeval s':>10} {'MiB':>6} {'python s':>9} {'MiB':>6} {'ratio':>6}  python side")
    for name, mb, rows, ours, theirs, what in results:
        print(f"{name:<14} {mb:>6.0f} {rows:>6} {ours[0]:>10.2f} {ours[1]:>6.0f} {theirs[0]:>9.2f} {theirs[1]:>6.0f} {theirs[0] / ours[0]:>5.1f}x  {what}")


if __name__ == "__main__":
    main()
