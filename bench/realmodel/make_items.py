#!/usr/bin/env python3
"""Writes the items of the real-server acceptance run, in medeval's native JSONL format.

    python3 bench/realmodel/make_items.py OUT_DIR

OUT_DIR/text.jsonl    20 short medical questions with known answers (mcq, closed, open)
OUT_DIR/colour.jsonl  12 colour questions (6 colours, each as mcq and open) on solid-colour PNGs
OUT_DIR/images/*.png  the images, written here with zlib and struct only

Each colour item's cluster is its colour, so `--variant mismatched-image` (which takes images
from another cluster) always shows a different colour.
"""
import json
import struct
import sys
import zlib
from pathlib import Path

TEXT_MCQ = [
    ("Which organ produces insulin?", ["Liver", "Pancreas", "Kidney", "Spleen"], "B"),
    ("How many chambers does the human heart have?", ["Two", "Three", "Four", "Five"], "C"),
    ("Which blood cells carry oxygen?",
     ["Red blood cells", "White blood cells", "Platelets", "Plasma cells"], "A"),
    ("What is the largest organ of the human body?", ["Heart", "Liver", "Skin", "Brain"], "C"),
    ("A deficiency of which vitamin causes scurvy?",
     ["Vitamin A", "Vitamin B12", "Vitamin C", "Vitamin D"], "C"),
    ("Which bone is in the thigh?", ["Femur", "Humerus", "Radius", "Ulna"], "A"),
    ("What is a normal resting heart rate for an adult, in beats per minute?",
     ["20 to 40", "60 to 100", "130 to 160", "180 to 220"], "B"),
    ("Which gas do the lungs breathe out as waste?",
     ["Oxygen", "Nitrogen", "Helium", "Carbon dioxide"], "D"),
]
TEXT_CLOSED = [
    ("Is the femur the longest bone in the human body?", "yes"),
    ("Is insulin produced by the liver?", "no"),
    ("Does the heart pump blood around the body?", "yes"),
    ("Is aspirin an antibiotic?", "no"),
    ("Do red blood cells carry oxygen?", "yes"),
    ("Is the appendix part of the brain?", "no"),
]
TEXT_OPEN = [
    ("Which organ pumps blood through the body?", "heart"),
    ("Which organ filters the blood to make urine?", "kidney"),
    ("Which gas do red blood cells carry to the tissues?", "oxygen"),
    ("Which hormone lowers blood sugar?", "insulin"),
    ("Which organ is inflamed in hepatitis?", "liver"),
    ("Which organ do asthma attacks affect?", "lungs"),
]

# name -> (RGB, PNG colour type 2 = RGB or 0 = grey, width, height): sizes and colour types vary
# so that llama.cpp's resizing and both PNG layouts are exercised. The images are square: the
# server pads a non-square image to a square with black, which this projector reads as black.
COLOURS = {
    "red": ((255, 0, 0), 2, 64, 64),
    "green": ((0, 255, 0), 2, 128, 128),
    "blue": ((0, 0, 255), 2, 96, 96),
    "yellow": ((255, 255, 0), 2, 256, 256),
    "black": ((0, 0, 0), 0, 64, 64),
    "white": ((255, 255, 255), 0, 128, 128),
}
LETTERS = "ABCD"


def png(rgb, colour_type, width, height):
    """A solid-colour 8-bit PNG, grey (type 0) or RGB (type 2)."""
    pixel = bytes(rgb[:1]) if colour_type == 0 else bytes(rgb)
    raw = b"".join(b"\x00" + pixel * width for _ in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def text_items():
    for i, (question, options, answer) in enumerate(TEXT_MCQ, 1):
        yield {"id": f"mcq-{i:02d}", "question": question,
               "options": dict(zip(LETTERS, options)), "answer": answer, "answer_type": "mcq"}
    for i, (question, answer) in enumerate(TEXT_CLOSED, 1):
        yield {"id": f"closed-{i:02d}", "question": question, "answer": answer,
               "answer_type": "closed"}
    for i, (question, answer) in enumerate(TEXT_OPEN, 1):
        yield {"id": f"open-{i:02d}", "question": question, "answer": answer,
               "answer_type": "open"}


def colour_items(image_dir):
    names = list(COLOURS)
    for k, name in enumerate(names):
        rgb, colour_type, width, height = COLOURS[name]
        path = image_dir / f"{name}.png"
        path.write_bytes(png(rgb, colour_type, width, height))
        image = f"images/{path.name}"
        # four options: the right colour at a rotating letter, three others after it
        others = [n for n in names if n != name]
        distractors = [others[(k + j) % len(others)] for j in range(3)]
        options = distractors[:]
        gold = k % 4
        options.insert(gold, name)
        meta = {"colour": name, "form": "mcq"}
        yield {"id": f"colour-{name}-mcq", "question": "What colour is this image?",
               "images": [image], "options": dict(zip(LETTERS, options)),
               "answer": LETTERS[gold], "answer_type": "mcq", "meta": meta, "cluster": name}
        yield {"id": f"colour-{name}-open", "question": "What colour is this image?",
               "images": [image], "answer": name, "answer_type": "open",
               "meta": {"colour": name, "form": "open"}, "cluster": name}


def write_jsonl(path, items):
    with open(path, "w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(item) + "\n")


def main():
    out = Path(sys.argv[1])
    (out / "images").mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "text.jsonl", text_items())
    write_jsonl(out / "colour.jsonl", colour_items(out / "images"))


if __name__ == "__main__":
    main()
