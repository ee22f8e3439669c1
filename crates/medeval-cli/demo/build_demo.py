#!/usr/bin/env python3
"""Regenerate medeval's bundled demo benchmark (`items.jsonl`) from DICOM test images.

The images are DICOM test files that ship inside the pydicom wheel on PyPI, so the demo
needs no network access beyond the package registry. Every gold answer is known without
a human reader: it is either read from the DICOM header (modality, body part) or it is
a transform this script applied itself (a horizontal mirror, a rotation).

Usage (from anywhere; needs Python 3.10-3.13, for which numpy 2.2.6 has wheels):

    python3 crates/medeval-cli/demo/build_demo.py           # build, then validate
    python3 crates/medeval-cli/demo/build_demo.py --check   # validate items.jsonl only

The first run creates `.venv/` next to this file and installs the pinned packages below
from PyPI (binary wheels only), then re-runs itself inside that environment. Output is
deterministic: no wall-clock time, no unseeded randomness, and every choice (option order,
distractors, which questions get a "yes") is a pure function of SEED and the item's
identity. See README.md in this folder for the method and the licences.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import io
import json
import math
import os
import subprocess
import sys
import venv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV_DIR = HERE / ".venv"
OUTPUT = HERE / "items.jsonl"

# Exact versions: a different pydicom could ship different test files, and a different
# Pillow could decode JPEG 2000 or compress PNG differently.
PINS = {"pydicom": "3.0.2", "numpy": "2.2.6", "pillow": "11.3.0"}

# Every seeded choice hashes this string together with the item's identity.
SEED = "medeval-demo-v1"

# Size rules for the embedded PNGs: the item file is compiled into the binary.
MAX_LONG_SIDE = 256  # larger images are downscaled (Lanczos) to this long side
MIN_LONG_SIDE = 128  # smaller images are upscaled by an integer factor (nearest neighbour)
MAX_FILE_BYTES = 1_500_000  # the validator fails above this (the brief's hard cap is 2 MB)

# Share of the modality yes/no questions that name the true modality. Slightly above one
# half on purpose, so the yes/no prior is not an exact tie and a majority baseline has
# one well-defined answer.
MODALITY_YES_SHARE = 0.6


@dataclass(frozen=True)
class Source:
    """One DICOM file from `pydicom/data/test_files` used by the demo."""

    path: str  # relative to pydicom/data/test_files; also the item cluster key
    slug: str  # readable id prefix
    sha256: str  # of the file as shipped in the pinned wheel
    provenance: str  # short origin label, copied into each item's meta
    transforms: bool  # large enough for the mirror and rotation questions


# Chosen for distinct images, decodable with pydicom + numpy + Pillow only, and with
# documented provenance (see README.md). Near-duplicates (MR_small_*.dcm re-encodings,
# examples_jpeg2k.dcm = the same US1 image) are left out so clusters are real images.
SOURCES = [
    Source(
        "CT_small.dcm",
        "ct_small",
        "3dd31e5cc835b3f2cdd46c9da1982f59251e78518fefa8163d914631c66437d6",
        "NEMA WG04",
        True,
    ),
    Source(
        "MR_small.dcm",
        "mr_small",
        "3f27d1c22f1a66e80d7bb7c911e8610fd0bb70325a76746a7adb1c0ddefcf2bb",
        "NEMA WG04",
        True,
    ),
    Source(
        "JPEG2000.dcm",
        "nm_jpeg2000",
        "5be539024e6803029a7b73c0f8e72e88d032e3a0bc05922c0c047344780aa8e1",
        "NEMA WG04",
        True,
    ),
    Source(
        "examples_rgb_color.dcm",
        "us_rgb_color",
        "bdd7f166ccef2dbd7ea9fc601ac25811f45aa623493b86cec0979b47109b83d4",
        "NEMA WG04",
        True,
    ),
    Source(
        "examples_overlay.dcm",
        "mr_overlay",
        "112539bc17c0e281987397e827dff9e99890109866d570f08761f83b8f55c277",
        "GDCM",
        True,
    ),
    Source(
        "dicomdirtests/77654033/CR1/6154",
        "cr_cspine_6154",
        "aa4e9ecd9af652e5e17e4452527f079b8e05c776c580b818dc099082713bf750",
        "PCIR",
        False,
    ),
    Source(
        "dicomdirtests/77654033/CT2/17106",
        "ct_head_17106",
        "678df720411e86df67031c28e16192cd31e2062a3f090d657b9f16ce86db3f1d",
        "PCIR",
        False,
    ),
    Source(
        "dicomdirtests/98892003/MR1/4919",
        "mr_brain_4919",
        "1a0fc2ec617623aeeccf4492bc605ace4efb33cebce7fe4dd54bce472b1c8635",
        "PCIR",
        False,
    ),
]

# Option text for each DICOM modality code present; the builder fails on a code missing
# here rather than invent a name.
MODALITY_NAMES = {
    "CR": "computed radiography (CR)",
    "CT": "computed tomography (CT)",
    "MR": "magnetic resonance (MR)",
    "NM": "nuclear medicine (NM)",
    "US": "ultrasound (US)",
}

# Option text for each DICOM Body Part Examined value present.
BODY_PART_NAMES = {
    "ABDOMEN": "Abdomen",
    "CSPINE": "Cervical spine",
    "HEAD": "Head",
    "WHOLE BODY": "Whole body",
}

# Clockwise rotations, in option order; the option order is fixed because the values are
# ordered and each appears equally often as the gold answer.
ROTATIONS = [
    ("none", "Not rotated (0°)"),
    ("rot90", "90° clockwise"),
    ("rot180", "180°"),
    ("rot270", "90° counter-clockwise (270° clockwise)"),
]

ROTATION_QUESTION = "Has this image been rotated from its original orientation? If so, by how much?"

MCQ_OPTION_COUNT = 4
MIN_OPTION_COUNT = 2

# Set before re-executing inside the venv, so a failed install cannot loop.
BOOTSTRAP_MARKER = "MEDEVAL_DEMO_BOOTSTRAPPED"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


# --------------------------------------------------------------------------------------
# Environment bootstrap (standard library only)
# --------------------------------------------------------------------------------------


def venv_python() -> Path:
    """Path of the interpreter inside the demo venv."""
    if os.name == "nt":
        return VENV_DIR / "Scripts" / "python.exe"
    return VENV_DIR / "bin" / "python"


def running_in_demo_venv() -> bool:
    """Whether this process already runs inside `.venv/`."""
    return Path(sys.prefix).resolve() == VENV_DIR.resolve()


def installed_versions() -> dict[str, str]:
    """Versions of the pinned packages in the current interpreter (missing ones omitted)."""
    from importlib import metadata

    found = {}
    for name in PINS:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def venv_versions(python: Path) -> dict[str, str]:
    """Versions of the pinned packages inside the venv at `python` (empty if unreadable)."""
    probe = (
        "import json, importlib.metadata as m\n"
        f"names = {sorted(PINS)!r}\n"
        "found = {}\n"
        "for n in names:\n"
        "    try: found[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(found))\n"
    )
    result = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return {}
    return json.loads(result.stdout)


def bootstrap_and_reexec(argv: list[str]) -> None:
    """Create the venv with the pinned wheels if needed, then replace this process."""
    if os.environ.get(BOOTSTRAP_MARKER):
        raise SystemExit(
            f"error: {VENV_DIR} still lacks {PINS} after installing (found {installed_versions()})"
        )
    python = venv_python()
    if not python.exists():
        print(f"creating {VENV_DIR}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV_DIR)
    if venv_versions(python) != PINS:
        pins = [f"{name}=={version}" for name, version in PINS.items()]
        print(f"installing {' '.join(pins)} from PyPI (binary wheels only)", file=sys.stderr)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--only-binary=:all:",
                *pins,
            ],
            check=True,
        )
    os.environ[BOOTSTRAP_MARKER] = "1"
    os.execv(str(python), [str(python), str(Path(__file__).resolve()), *argv])


# --------------------------------------------------------------------------------------
# Seeded, Python-version-independent choices
# --------------------------------------------------------------------------------------


def seeded_order(values: list[str], salt: str) -> list[str]:
    """`values` sorted by SHA-256 of (SEED, salt, value): a stable pseudo-random order."""

    def key(value: str) -> str:
        return hashlib.sha256(f"{SEED}|{salt}|{value}".encode()).hexdigest()

    return sorted(values, key=key)


def balanced_positions(slugs: list[str], salt: str, count: int) -> dict[str, int]:
    """Assign each slug a gold position 0..count-1 so positions are used equally often."""
    return {slug: i % count for i, slug in enumerate(seeded_order(slugs, salt))}


def lay_out_options(gold: str, distractors: list[str], position: int) -> tuple[dict, str]:
    """Options keyed by letter with `gold` at `position`; returns (options, gold letter)."""
    texts = list(distractors)
    texts.insert(position, gold)
    options = {LETTERS[i]: text for i, text in enumerate(texts)}
    return options, LETTERS[position]


# --------------------------------------------------------------------------------------
# Rendering DICOM pixels to small 8-bit PNGs
# --------------------------------------------------------------------------------------


RGB_SAMPLES = 3


class BuildError(Exception):
    """A source file cannot be used as documented; the build stops instead of guessing."""


def first_value(value) -> float:
    """The first of a possibly multi-valued DICOM number (Window Center/Width)."""
    from pydicom.multival import MultiValue

    if isinstance(value, MultiValue):
        value = value[0]
    return float(value)


def window_linear(values, center: float, width: float):
    """DICOM linear VOI windowing (PS3.3 C.11.2.1.2.1) onto 0..255, as float."""
    import numpy as np

    if width < 1:
        raise BuildError(f"Window Width {width} is below 1")
    lower = center - 0.5 - (width - 1) / 2
    upper = center - 0.5 + (width - 1) / 2
    scaled = ((values - (center - 0.5)) / (width - 1) + 0.5) * 255.0 if width > 1 else values
    return np.where(values <= lower, 0.0, np.where(values > upper, 255.0, scaled))


def to_display_pixels(ds, source: Source):
    """One 8-bit greyscale frame as shown on a viewer, and how intensities were mapped.

    Order: middle frame of a multi-frame image; colour -> luma (ITU-R 601-2, Pillow "L");
    greyscale -> Modality LUT (Rescale Slope/Intercept) -> first Window Center/Width when
    present, else min-max -> inverted for MONOCHROME1 (low values are white).
    """
    import numpy as np
    from PIL import Image
    from pydicom.pixels import apply_modality_lut

    frames = int(ds.get("NumberOfFrames", 1) or 1)
    pixels = ds.pixel_array
    if frames > 1:
        pixels = pixels[frames // 2]
    samples = int(ds.SamplesPerPixel)
    interpretation = str(ds.PhotometricInterpretation)

    if samples == RGB_SAMPLES:
        # pydicom converts YBR_* to RGB by default, so three samples are RGB here.
        if pixels.dtype != np.uint8:
            raise BuildError(f"{source.path}: colour with {pixels.dtype} samples is not supported")
        return np.asarray(Image.fromarray(pixels).convert("L")), "luma"
    if samples != 1 or interpretation not in ("MONOCHROME1", "MONOCHROME2"):
        raise BuildError(f"{source.path}: {interpretation} with {samples} samples is not supported")
    if "VOILUTSequence" in ds:
        raise BuildError(f"{source.path}: VOI LUT Sequence is not supported")
    if str(ds.get("VOILUTFunction", "LINEAR")).upper() != "LINEAR":
        raise BuildError(f"{source.path}: VOI LUT Function {ds.VOILUTFunction} is not supported")

    values = np.asarray(apply_modality_lut(pixels, ds), dtype=np.float64)
    if "WindowCenter" in ds and "WindowWidth" in ds:
        display = window_linear(values, first_value(ds.WindowCenter), first_value(ds.WindowWidth))
        intensity = "window"
    else:
        low, high = float(values.min()), float(values.max())
        span = high - low
        display = (values - low) / span * 255.0 if span > 0 else np.zeros_like(values)
        intensity = "min-max"
    if interpretation == "MONOCHROME1":
        display = 255.0 - display
    return np.clip(np.rint(display), 0, 255).astype(np.uint8), intensity


def resize_for_embedding(pixels):
    """Downscale to MAX_LONG_SIDE (Lanczos) or upscale to MIN_LONG_SIDE (integer, nearest)."""
    import numpy as np
    from PIL import Image

    height, width = pixels.shape
    long_side = max(height, width)
    image = Image.fromarray(pixels)
    if long_side > MAX_LONG_SIDE:
        scale = MAX_LONG_SIDE / long_side
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    elif long_side < MIN_LONG_SIDE:
        factor = math.ceil(MIN_LONG_SIDE / long_side)
        image = image.resize((width * factor, height * factor), Image.Resampling.NEAREST)
    return np.asarray(image)


def apply_transform(pixels, transform: str):
    """The builder's own transform: `hflip` mirrors left-right, `rotN` rotates N° clockwise."""
    import numpy as np

    if transform == "none":
        return pixels
    if transform == "hflip":
        return pixels[:, ::-1]
    quarter_turns_clockwise = {"rot90": 1, "rot180": 2, "rot270": 3}[transform]
    return np.rot90(pixels, k=-quarter_turns_clockwise)


def self_check_transforms() -> None:
    """Pins the meaning of the transforms on a 2x3 array (top-left corner marked 1)."""
    import numpy as np

    grid = np.array([[1, 2, 3], [4, 5, 6]])
    assert apply_transform(grid, "hflip").tolist() == [[3, 2, 1], [6, 5, 4]]
    # A clockwise quarter turn moves the top-left corner to the top-right.
    assert apply_transform(grid, "rot90").tolist() == [[4, 1], [5, 2], [6, 3]]
    assert apply_transform(grid, "rot180").tolist() == [[6, 5, 4], [3, 2, 1]]
    assert apply_transform(grid, "rot270").tolist() == [[3, 6], [2, 5], [1, 4]]


def png_data_uri(pixels) -> str:
    """Lossless PNG of an 8-bit greyscale array as a `data:` URI (no text chunks, no time)."""
    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# --------------------------------------------------------------------------------------
# Items
# --------------------------------------------------------------------------------------


@dataclass
class Loaded:
    """A source file with its header facts and its rendered, resized pixels."""

    source: Source
    modality: str
    body_part: str | None
    source_size: str
    intensity: str
    pixels: object  # numpy uint8 array (H, W)

    def meta(self, task: str, transform: str) -> dict:
        """Breakdown fields shared by every item built on this source."""
        height, width = apply_transform(self.pixels, transform).shape
        meta = {
            "modality": self.modality,
            "task": task,
            "transform": transform,
            "source": self.source.path,
            "provenance": self.source.provenance,
            "source_size": self.source_size,
            "image_size": f"{width}x{height}",
            "intensity": self.intensity,
        }
        if self.body_part is not None:
            meta["body_part"] = self.body_part
        return meta

    def image(self, transform: str) -> str:
        """The PNG `data:` URI of this source after `transform`."""
        return png_data_uri(apply_transform(self.pixels, transform))


def load_source(test_files: Path, source: Source) -> Loaded:
    """Read, verify and render one source file."""
    import pydicom

    path = test_files / source.path
    if not path.is_file():
        raise BuildError(f"{source.path} is not in the installed pydicom wheel")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != source.sha256:
        raise BuildError(f"{source.path}: sha256 {digest} differs from the pinned {source.sha256}")
    ds = pydicom.dcmread(path)
    modality = str(ds.get("Modality", "")).strip()
    if modality not in MODALITY_NAMES:
        raise BuildError(f"{source.path}: modality {modality!r} has no option text")
    body_part = str(ds.get("BodyPartExamined", "")).strip() or None
    if body_part is not None and body_part not in BODY_PART_NAMES:
        raise BuildError(f"{source.path}: body part {body_part!r} has no option text")
    display, intensity = to_display_pixels(ds, source)
    return Loaded(
        source=source,
        modality=modality,
        body_part=body_part,
        source_size=f"{int(ds.Columns)}x{int(ds.Rows)}",
        intensity=intensity,
        pixels=resize_for_embedding(display),
    )


def item(
    id_: str,
    question: str,
    image: str,
    *,
    answer: str,
    answer_type: str,
    meta: dict,
    cluster: str,
    options: dict | None = None,
) -> dict:
    """One item in medeval's native JSONL schema, keys in documented order."""
    record = {"id": id_, "question": question, "images": [image]}
    if options is not None:
        record["options"] = options
    record.update(answer=answer, answer_type=answer_type, meta=meta, cluster=cluster)
    return record


def sentence_case(text: str) -> str:
    """`text` with its first character upper-cased and the rest untouched (keeps "CT")."""
    return text[:1].upper() + text[1:]


def with_article(noun: str) -> str:
    """`noun` preceded by "a" or "an" (by its first letter, which suffices for our names)."""
    return ("an " if noun[0].lower() in "aeiou" else "a ") + noun


def modality_items(sources: list[Loaded]) -> list[dict]:
    """Modality as mcq (4 options), open (DICOM code) and closed (is this X?)."""
    present = sorted({s.modality for s in sources})
    if len(present) < MCQ_OPTION_COUNT:
        raise BuildError(f"only {len(present)} modalities present; need {MCQ_OPTION_COUNT}")
    slugs = [s.source.slug for s in sources]
    positions = balanced_positions(slugs, "modality-mcq-position", MCQ_OPTION_COUNT)
    yes_count = round(len(slugs) * MODALITY_YES_SHARE)
    asks_true = set(seeded_order(slugs, "modality-closed-yes")[:yes_count])

    items = []
    for s in sources:
        slug, image = s.source.slug, s.image("none")
        shared = {"meta": s.meta("modality", "none"), "cluster": s.source.path}
        others = [m for m in present if m != s.modality]

        distractors = seeded_order(others, f"modality-mcq-distractors|{slug}")
        options, letter = lay_out_options(
            sentence_case(MODALITY_NAMES[s.modality]),
            [sentence_case(MODALITY_NAMES[m]) for m in distractors[: MCQ_OPTION_COUNT - 1]],
            positions[slug],
        )
        items.append(
            item(
                f"{slug}-modality-mcq",
                "Which imaging modality produced this image?",
                image,
                answer=letter,
                answer_type="mcq",
                options=options,
                **shared,
            )
        )

        items.append(
            item(
                f"{slug}-modality-open",
                "Which imaging modality is this? Answer with the DICOM modality code.",
                image,
                answer=s.modality,
                answer_type="open",
                **shared,
            )
        )

        if slug in asks_true:
            asked = s.modality
        else:
            asked = seeded_order(others, f"modality-closed-wrong|{slug}")[0]
        items.append(
            item(
                f"{slug}-modality-closed",
                f"Is this {with_article(MODALITY_NAMES[asked])} image?",
                image,
                answer="yes" if asked == s.modality else "no",
                answer_type="closed",
                meta={**shared["meta"], "asked_modality": asked},
                cluster=shared["cluster"],
            )
        )
    return items


def body_part_items(sources: list[Loaded]) -> list[dict]:
    """Body part (from Body Part Examined) as mcq, for the sources whose header has it."""
    with_part = [s for s in sources if s.body_part is not None]
    present = sorted({s.body_part for s in with_part})
    count = min(MCQ_OPTION_COUNT, len(present))
    if count < MIN_OPTION_COUNT:
        return []
    positions = balanced_positions([s.source.slug for s in with_part], "bodypart-position", count)
    items = []
    for s in with_part:
        slug = s.source.slug
        others = [p for p in present if p != s.body_part]
        distractors = seeded_order(others, f"bodypart-distractors|{slug}")[: count - 1]
        options, letter = lay_out_options(
            BODY_PART_NAMES[s.body_part], [BODY_PART_NAMES[p] for p in distractors], positions[slug]
        )
        items.append(
            item(
                f"{slug}-bodypart-mcq",
                "Which body part does this image show?",
                s.image("none"),
                answer=letter,
                answer_type="mcq",
                options=options,
                meta=s.meta("bodypart", "none"),
                cluster=s.source.path,
            )
        )
    return items


def flip_items(sources: list[Loaded]) -> list[dict]:
    """Mirror detection: each eligible source asked once unaltered (control) and once mirrored."""
    items = []
    for s in sources:
        if not s.source.transforms:
            continue
        for transform, answer in (("none", "no"), ("hflip", "yes")):
            items.append(
                item(
                    f"{s.source.slug}-flip-{transform}",
                    "Has this image been mirrored left-right (flipped horizontally)?",
                    s.image(transform),
                    answer=answer,
                    answer_type="closed",
                    meta=s.meta("flip", transform),
                    cluster=s.source.path,
                )
            )
    return items


def rotation_items(sources: list[Loaded]) -> list[dict]:
    """Rotation: each eligible source shown at 0/90/180/270° clockwise (0° is the control)."""
    options = {LETTERS[i]: text for i, (_, text) in enumerate(ROTATIONS)}
    items = []
    for s in sources:
        if not s.source.transforms:
            continue
        for i, (transform, _) in enumerate(ROTATIONS):
            items.append(
                item(
                    f"{s.source.slug}-rotation-{transform}",
                    ROTATION_QUESTION,
                    s.image(transform),
                    answer=LETTERS[i],
                    answer_type="mcq",
                    options=dict(options),
                    meta=s.meta("rotation", transform),
                    cluster=s.source.path,
                )
            )
    return items


def build(test_files: Path) -> list[dict]:
    """All demo items, in a stable order (by source, then task)."""
    self_check_transforms()
    sources = [load_source(test_files, source) for source in SOURCES]
    items = (
        modality_items(sources)
        + body_part_items(sources)
        + flip_items(sources)
        + rotation_items(sources)
    )
    order = {s.slug: i for i, s in enumerate(SOURCES)}
    return sorted(items, key=lambda it: order[it["id"].split("-", 1)[0]])


def write_jsonl(items: list[dict], path: Path) -> None:
    """One compact JSON object per line, UTF-8, `\\n` line ends."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for record in items:
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


# --------------------------------------------------------------------------------------
# Validation and summary
# --------------------------------------------------------------------------------------

REQUIRED_FIELDS = (
    ("id", str),
    ("question", str),
    ("images", list),
    ("answer", str),
    ("answer_type", str),
    ("meta", dict),
    ("cluster", str),
)
REQUIRED_META = ("modality", "task", "transform", "source")
PNG_URI_PREFIX = "data:image/png;base64,"


def check_answer(record: dict, where: str) -> None:
    """The answer fits the answer type: an option letter, yes/no, or non-empty text."""
    answer_type, answer = record["answer_type"], record["answer"]
    if answer_type == "mcq":
        options = record.get("options")
        if not isinstance(options, dict) or len(options) < MIN_OPTION_COUNT:
            raise BuildError(f"{where}: mcq needs at least {MIN_OPTION_COUNT} options")
        if any(len(label) != 1 or label not in LETTERS for label in options):
            raise BuildError(f"{where}: option labels must be single letters A-Z")
        if answer not in options:
            raise BuildError(f"{where}: answer {answer!r} is not an option letter")
        if len(set(options.values())) != len(options):
            raise BuildError(f"{where}: duplicate option text")
    elif answer_type == "closed":
        if answer not in ("yes", "no") or "options" in record:
            raise BuildError(f"{where}: closed answer must be yes/no without options")
    elif answer_type == "open":
        if not answer.strip() or "options" in record:
            raise BuildError(f"{where}: open answer must be non-empty text without options")
    else:
        raise BuildError(f"{where}: unknown answer_type {answer_type!r}")


def check_image(uri: str, where: str) -> None:
    """The image is a `data:` URI holding a decodable 8-bit greyscale PNG."""
    from PIL import Image

    if not uri.startswith(PNG_URI_PREFIX):
        raise BuildError(f"{where}: image is not a PNG data: URI")
    try:
        encoded = base64.b64decode(uri[len(PNG_URI_PREFIX) :], validate=True)
        image = Image.open(io.BytesIO(encoded))
        image.load()
    except (ValueError, OSError) as error:  # binascii.Error and PIL errors derive from these
        raise BuildError(f"{where}: image does not decode ({error})") from error
    if image.format != "PNG" or image.mode != "L":
        raise BuildError(f"{where}: image is {image.format}/{image.mode}, not PNG/L")


def check_record(record: dict, where: str) -> None:
    """One parsed line against the native item schema and the demo's own conventions."""
    for key, kind in REQUIRED_FIELDS:
        if not isinstance(record.get(key), kind):
            raise BuildError(f"{where}: field {key} missing or not {kind.__name__}")
    check_answer(record, where)
    for key in REQUIRED_META:
        if not isinstance(record["meta"].get(key), str):
            raise BuildError(f"{where}: meta.{key} missing")
    if record["cluster"] != record["meta"]["source"]:
        raise BuildError(f"{where}: cluster differs from meta.source")
    for uri in record["images"]:
        check_image(uri, where)


def validate(path: Path) -> list[dict]:
    """Check the written file line by line; raise on the first problem, naming the line."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise BuildError(f"{path.name} is {size} bytes, above the {MAX_FILE_BYTES} byte budget")
    items, seen = [], set()
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            where = f"{path.name}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise BuildError(f"{where}: not JSON ({error})") from error
            check_record(record, where)
            if record["id"] in seen:
                raise BuildError(f"{where}: duplicate id {record['id']}")
            seen.add(record["id"])
            items.append(record)
    if not items:
        raise BuildError(f"{path.name} is empty")
    return items


def summarize(items: list[dict], path: Path) -> str:
    """Counts and baseline reference points, as Markdown, for the README and the report."""
    lines = [
        f"- file: `{path.name}`, {path.stat().st_size} bytes, {len(items)} items, "
        f"sha256 `{hashlib.sha256(path.read_bytes()).hexdigest()}`"
    ]
    by_type = Counter(it["answer_type"] for it in items)
    lines.append("- by answer_type: " + ", ".join(f"{k} {v}" for k, v in sorted(by_type.items())))
    by_task = Counter((it["meta"]["task"], it["answer_type"]) for it in items)
    lines.append("- by task: " + ", ".join(f"{t}/{a} {v}" for (t, a), v in sorted(by_task.items())))
    lines.append("- clusters (source files): " + str(len({it["cluster"] for it in items})))
    lines.append("")
    lines.append("| task | answer_type | n | gold answers | uniform random (expected) |")
    lines.append("|---|---|---|---|---|")
    for (task, answer_type), count in sorted(by_task.items()):
        group = [
            it for it in items if it["meta"]["task"] == task and it["answer_type"] == answer_type
        ]
        golds = Counter(
            it["options"][it["answer"]] if answer_type == "mcq" else it["answer"] for it in group
        )
        letters = Counter(it["answer"] for it in group) if answer_type == "mcq" else None
        gold_text = ", ".join(f"{k} {v}" for k, v in sorted(golds.items()))
        if letters:
            letter_text = ", ".join(f"{k} {v}" for k, v in sorted(letters.items()))
            gold_text += f" (letters: {letter_text})"
        if answer_type == "mcq":
            chance = sum(1 / len(it["options"]) for it in group) / len(group)
            chance_text = f"{chance:.3f}"
        elif answer_type == "closed":
            chance_text = "0.500"
        else:
            chance_text = "n/a (no options)"
        lines.append(f"| {task} | {answer_type} | {count} | {gold_text} | {chance_text} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only validate items.jsonl")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the items")
    args = parser.parse_args(argv)

    if not running_in_demo_venv() or installed_versions() != PINS:
        bootstrap_and_reexec(argv)

    import pydicom

    test_files = Path(pydicom.__file__).resolve().parent / "data" / "test_files"
    try:
        if not args.check:
            items = build(test_files)
            write_jsonl(items, args.output)
            print(f"wrote {len(items)} items to {args.output}", file=sys.stderr)
        items = validate(args.output)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(summarize(items, args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
