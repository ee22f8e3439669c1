"""Writes the benchmark items: N text-only mcq items and M items with a 512x512 PNG each."""
import json
import struct
import sys
import zlib
from pathlib import Path

out, n, n_images = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])


def png(width: int, height: int, seed: int) -> bytes:
    """A deterministic 8-bit greyscale PNG with some structure (so it does not compress to nothing)."""
    rows = b"".join(
        b"\x00" + bytes(((x * 7 + y * 13 + seed * 31 + (x * y) % 17) & 0xFF) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b"")


with open(out / "text.jsonl", "w") as f:
    for i in range(n):
        f.write(json.dumps({"id": f"t{i}", "question": f"[t{i}] Which finding is most likely?",
                            "options": {"A": "Pneumonia", "B": "Effusion", "C": "Nodule", "D": "Normal"},
                            "answer": "ABCD"[i % 4]}) + "\n")

(out / "img").mkdir(exist_ok=True)
with open(out / "images.jsonl", "w") as f:
    for i in range(n_images):
        path = out / "img" / f"{i % 50}.png"
        if not path.exists():
            path.write_bytes(png(512, 512, i % 50))
        f.write(json.dumps({"id": f"i{i}", "question": f"[i{i}] Is there an effusion?",
                            "images": [f"img/{i % 50}.png"], "answer": "yes" if i % 2 else "no"}) + "\n")
