"""Write the offline demo data under tasks/demo/: the same bytes on every run.

    python scripts/make_demo_data.py            # rewrites tasks/demo/
    python scripts/make_demo_data.py --out DIR  # writes the same files under DIR

Texts live in scripts/demo_texts/. Captioning images are scenes of coloured shapes drawn
from a seeded description; they are rasterised and PNG-encoded here with the standard
library only (zlib, struct), so the files do not depend on the installed Pillow version.
"""
from __future__ import annotations

import argparse
import json
import random
import struct
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_texts import news_a, news_b, translation  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SEED = 20240611
N_IMAGES = 60
SIZE = 64

COLOURS = {"red": (214, 39, 40), "green": (44, 160, 44), "blue": (31, 119, 180),
           "yellow": (240, 200, 30), "purple": (148, 103, 189), "orange": (255, 127, 14)}
BACKGROUNDS = {"white": (255, 255, 255), "black": (0, 0, 0), "gray": (128, 128, 128)}
PALETTE = list(BACKGROUNDS) + list(COLOURS)  # PNG palette order: index = position here
KINDS = ("circle", "square", "triangle")
# (centres, radius of a small shape, radius of a large one) per layout
LAYOUTS = {
    "single": (((32, 32),), 10, 20),
    "row2": (((18, 32), (46, 32)), 7, 12),
    "column2": (((32, 18), (32, 46)), 7, 12),
    "row3": (((11, 32), (32, 32), (53, 32)), 5, 8),
}
LAYOUT_COUNTS = {"single": 18, "row2": 15, "column2": 12, "row3": 15}


@dataclass(frozen=True)
class Shape:
    kind: str
    colour: str
    size: str  # "small" | "large"


@dataclass(frozen=True)
class Scene:
    background: str
    layout: str
    shapes: tuple[Shape, ...]


# -- text tasks -----------------------------------------------------------------------------
def jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def translation_rows(pairs, prefix: str) -> list[dict]:
    return [{"id": f"{prefix}-{i:03d}", "source": en, "references": list(refs)}
            for i, (en, refs) in enumerate(pairs, 1)]


def summarization_rows() -> list[dict]:
    articles = news_a.ARTICLES + news_b.ARTICLES
    return [{"id": f"news-{i:02d}", "source": article, "references": ["\n".join(sentences)]}
            for i, (article, sentences) in enumerate(articles, 1)]


# -- scenes ---------------------------------------------------------------------------------
def random_shape(rng: random.Random) -> Shape:
    return Shape(rng.choice(KINDS), rng.choice(list(COLOURS)), rng.choice(("small", "large")))


def random_scene(rng: random.Random, layout: str) -> Scene:
    count = len(LAYOUTS[layout][0])
    first = random_shape(rng)
    if count > 1 and rng.random() < 0.15:  # now and then a repeated shape, for plural captions
        shapes = (first,) * count
    else:
        shapes = [first]
        while len(shapes) < count:
            candidate = random_shape(rng)
            # distinct (colour, kind) keeps "a red circle to the left of a red circle" out
            if all((candidate.colour, candidate.kind) != (s.colour, s.kind) for s in shapes):
                shapes.append(candidate)
        shapes = tuple(shapes)
    return Scene(rng.choice(list(BACKGROUNDS)), layout, shapes)


def make_scenes(rng: random.Random) -> list[Scene]:
    layouts = [name for name, n in LAYOUT_COUNTS.items() for _ in range(n)]
    rng.shuffle(layouts)
    scenes: list[Scene] = []
    for layout in layouts:
        scene = random_scene(rng, layout)
        while scene in scenes:
            scene = random_scene(rng, layout)
        scenes.append(scene)
    return scenes


# -- pixels and PNG -------------------------------------------------------------------------
def inside(kind: str, dx: float, dy: float, r: float) -> bool:
    if kind == "circle":
        return dx * dx + dy * dy <= r * r
    if kind == "square":
        return max(abs(dx), abs(dy)) <= 0.85 * r  # about the area of the circle
    top, base = -r, 0.75 * r  # upward triangle, apex at the top
    return top <= dy <= base and abs(dx) <= (dy - top) / (base - top) * r


def rasterise(scene: Scene) -> list[bytearray]:
    rows = [bytearray([PALETTE.index(scene.background)] * SIZE) for _ in range(SIZE)]
    centres, small, large = LAYOUTS[scene.layout]
    for shape, (cx, cy) in zip(scene.shapes, centres):
        r = small if shape.size == "small" else large
        colour = PALETTE.index(shape.colour)
        for y in range(max(0, cy - r - 1), min(SIZE, cy + r + 1)):
            for x in range(max(0, cx - r - 1), min(SIZE, cx + r + 1)):
                if inside(shape.kind, x + 0.5 - cx, y + 0.5 - cy, r):
                    rows[y][x] = colour
    return rows


def png(rows: list[bytearray]) -> bytes:
    """An 8-bit palette PNG; zlib at level 9 gives the same bytes on every platform we know."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload)))

    colours = {**BACKGROUNDS, **COLOURS}
    header = struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 3, 0, 0, 0)
    palette = b"".join(bytes(colours[name]) for name in PALETTE)
    pixels = b"".join(b"\x00" + bytes(row) for row in rows)  # filter type 0 on each line
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"PLTE", palette)
            + chunk(b"IDAT", zlib.compress(pixels, 9)) + chunk(b"IEND", b""))


# -- captions -------------------------------------------------------------------------------
# {a} {b} {c}: the shapes left to right (or top to bottom), each with its article;
# {bare}: the first shape without article; {many}: the plural of a repeated shape.
TEMPLATES = {
    "single": ["{a} on a {bg} background", "{a} in the middle of the picture",
               "a single {bare} on {bg}", "{a} against a plain {bg} background",
               "a picture of {a}", "there is {a} in the center of the image"],
    "row2": ["{a} to the left of {b}", "{b} to the right of {a}", "{a} next to {b}",
             "{a} and {b} side by side on a {bg} background",
             "two shapes: {a} on the left and {b} on the right"],
    "column2": ["{a} above {b}", "{b} below {a}", "{a} and {b} stacked vertically",
                "{a} at the top and {b} at the bottom",
                "two shapes on a {bg} background, {a} above {b}"],
    "row3": ["{a}, {b} and {c} in a row", "three shapes in a row on a {bg} background",
             "from left to right: {a}, {b} and {c}", "a row of three shapes: {a}, {b} and {c}",
             "{b} between {a} and {c}"],
}
REPEATED_TEMPLATES = {
    "row2": ["two {many} side by side", "a pair of {many} next to each other",
             "two {many} on a {bg} background", "two {many} in a row"],
    "column2": ["two {many}, one above the other", "a pair of {many} stacked vertically",
                "two {many} on a {bg} background", "two {many} in a column"],
    "row3": ["three {many} in a row", "a row of three {many}", "three {many} on a {bg} background",
             "three {many} lined up from left to right"],
}


def describe(shape: Shape, sized: bool) -> str:
    return " ".join(([shape.size] if sized else []) + [shape.colour, shape.kind])


def with_article(phrase: str) -> str:
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def captions(scene: Scene, rng: random.Random) -> list[str]:
    repeated = len(scene.shapes) > 1 and len(set(scene.shapes)) == 1
    templates = (REPEATED_TEMPLATES if repeated else TEMPLATES)[scene.layout]
    chosen = rng.sample(templates, min(rng.randint(3, 5), len(templates)))
    out = []
    for template in chosen:
        sized = rng.random() < 0.35  # some captions mention sizes, most do not
        phrases = [with_article(describe(s, sized)) for s in scene.shapes]
        values = dict(zip("abc", phrases), bg=scene.background,
                      bare=describe(scene.shapes[0], sized),
                      many=describe(scene.shapes[0], sized) + "s")
        out.append(template.format_map(values))
    return out


# -- output ---------------------------------------------------------------------------------
def build() -> dict[str, bytes]:
    """Every demo file, keyed by its path relative to the demo folder."""
    files = {
        "translation.jsonl": jsonl(translation_rows(translation.PAIRS, "tr")),
        "translation_dev.jsonl": jsonl(translation_rows(translation.DEV_PAIRS, "dev")),
        "summarization.jsonl": jsonl(summarization_rows()),
    }
    caption_rng = random.Random(SEED + 1)
    rows = []
    for i, scene in enumerate(make_scenes(random.Random(SEED)), 1):
        name = f"cap-{i:03d}"
        files[f"images/{name}.png"] = png(rasterise(scene))
        rows.append({"id": name, "image": f"images/{name}.png",
                     "references": captions(scene, caption_rng)})
    files["captioning.jsonl"] = jsonl(rows)
    return files


def write(files: dict[str, bytes], out: Path) -> None:
    for relative, content in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_bytes() != content:
            path.write_bytes(content)
    # images of an earlier, larger run would otherwise linger next to the new ones
    for path in sorted((out / "images").glob("*.png")):
        if f"images/{path.name}" not in files:
            path.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "tasks" / "demo",
                        help="folder to write into (default: tasks/demo)")
    args = parser.parse_args(argv)
    files = build()
    write(files, args.out)
    total = sum(len(c) for c in files.values())
    print(f"wrote {len(files)} files ({total / 1024:.0f} KiB) under {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
