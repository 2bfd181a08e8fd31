import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Eight short German-English pairs, four times over: enough examples for paired tests to
# separate a weak system from a good one, and not a near copy of it (the report tests' data)
PAIRS = [("Das Haus ist klein.", "The house is small."), ("Der Hund bellt laut.", "The dog barks loudly."),
         ("Ich trinke Kaffee.", "I drink coffee."), ("Es regnet heute.", "It is raining today."),
         ("Wir gehen nach Hause.", "We are going home."), ("Die Katze schläft.", "The cat is sleeping."),
         ("Das Auto ist rot.", "The car is red."), ("Er liest ein Buch.", "He is reading a book.")] * 4
REFS = [{"id": f"s{i}", "source": s, "references": [r]} for i, (s, r) in enumerate(PAIRS)]
GOOD = [r for _, r in PAIRS]


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    # every test gets its own generation cache, so no test sees another's generations
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path_factory.mktemp("cache")))
    # the single-file cache (claims, WAL) whatever filesystem the temporary folder is on;
    # tests of the per-writer logs choose their mode themselves
    monkeypatch.setenv("HARNESS_CACHE_MODE", "local")


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def demo_rows(task: str) -> list[dict]:
    name = {"demo-translation": "translation", "demo-summarization": "summarization",
            "demo-captioning": "captioning"}[task]
    lines = (REPO / "tasks" / "demo" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def demo_model(task: str, folder: Path) -> str:
    """A model whose outputs each demo task can score: copy-source, lead-3, or fixed captions."""
    if task != "demo-captioning":
        return "lead-3" if task == "demo-summarization" else "copy-source"
    captions = ["a red square above a blue square", "a purple triangle and an orange circle"]
    rows = [{"id": r["id"], "prediction": captions[i % 2]} for i, r in enumerate(demo_rows(task))]
    return f"predictions:{write_jsonl(folder / 'captions.jsonl', rows)}"


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real `harness` command in a subprocess, as a user runs it."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, env=full_env, timeout=600)


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    """The CLI in-process (fast): (exit code, stdout, stderr); an exception other than the
    CLI's own fails the test."""
    from harness.cli import main
    try:
        rc = main(list(args))
    except SystemExit as exit_:  # argparse's usage errors
        rc = exit_.code
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="session")
def images(tmp_path_factory):
    """Six images to caption: real COCO JPEGs when the shared data is here, else JPEGs and
    PNGs drawn with PIL."""
    from harness.testing import shared_data
    data = shared_data()
    coco = data / "captioning" / "coco_images12" / "images" if data else None
    if coco and coco.is_dir():
        return sorted(coco.glob("*.jpg"))[:6]
    from PIL import Image, ImageDraw
    folder = tmp_path_factory.mktemp("images")
    paths = []
    for i in range(6):
        image = Image.new("RGB", (64 + 16 * i, 48), (40 * i, 200 - 30 * i, 90))
        ImageDraw.Draw(image).ellipse((5, 5, 30 + 4 * i, 40), fill=(255, 255, 0))
        path = folder / f"drawn{i}.{'jpg' if i % 2 else 'png'}"
        image.save(path)
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def tiny_learned(tmp_path_factory) -> dict[str, str]:
    """Every learned metric as a ``--metrics`` spec on a tiny random checkpoint of its real
    architecture (harness.testing.tiny), built once per session: seconds, nothing downloaded."""
    from harness.testing.tiny import BUILDERS
    root = tmp_path_factory.mktemp("tiny-learned")
    bert, clip, comet, metricx = (BUILDERS[name](root / name) for name in ("bertscore", "clip", "comet", "metricx"))
    return {"bertscore": f"bertscore:model={bert}:num_layers=2", "clipscore": f"clipscore:model={clip}",
            "refclipscore": f"refclipscore:model={clip}", "comet": f"comet:model={comet}",
            "metricx": f"metricx:model={metricx}:tokenizer=model"}
