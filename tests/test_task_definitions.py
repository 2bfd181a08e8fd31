"""The shipped task definitions (tasks/*.yaml) and the offline demo data they point at."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from PIL import Image

from harness import data
from harness.task import FAMILIES, YamlTask, load_yaml_task
from harness.task.spec import TaskSpec
from harness.types import GenerateConfig

REPO = Path(__file__).resolve().parents[1]
TASKS = REPO / "tasks"
DEMO = TASKS / "demo"
TASK_FILES = sorted(TASKS.glob("*.yaml"))

# the default metrics of each family; METEOR needs Java, so no default names it
FAMILY_METRICS = {
    "translation": {"bleu", "chrf", "ter"},
    "summarization": {"rouge1", "rouge2", "rougeL", "rougeLsum"},
    "captioning": {"cider", "coco_bleu1", "coco_bleu2", "coco_bleu3", "coco_bleu4", "coco_rougeL"},
}
SHIPPED = {"wmt14-en-de", "wmt14-de-en", "wmt16-ro-en", "wmt19-zh-en", "cnn-dailymail", "xsum",
           "samsum", "coco-karpathy", "flickr30k", "nocaps",
           "demo-translation", "demo-summarization", "demo-captioning"}


def raw_task(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_shipped_tasks_are_all_there():
    assert {p.stem for p in TASK_FILES} == SHIPPED


@pytest.mark.parametrize("path", TASK_FILES, ids=lambda p: p.stem)
def test_task_file_validates_and_says_what_it_is(path):
    # the schema (harness/task/spec.py) checks every key, type and metric option on load
    task = load_yaml_task(path)
    spec = task.spec
    assert spec.name == path.stem and spec.family in FAMILIES and spec.description.strip()
    raw = raw_task(path)
    assert raw["version"] >= 1 and raw["postprocess"]  # written out, not left to defaults
    if spec.source.path is not None:
        assert (path.parent / spec.source.path).is_file()
    text_input = "source" if spec.family != "captioning" else "image"
    assert getattr(spec.fields, text_input)
    if spec.prompt.fewshot.split.endswith(".jsonl"):
        assert (path.parent / spec.prompt.fewshot.split).is_file()
    names = [m if isinstance(m, str) else m["name"] for m in task.metric_specs()]
    assert set(names) == FAMILY_METRICS[spec.family]
    assert task.describe()["metrics"] == names


# -- demo data --------------------------------------------------------------------------------
def test_demo_translation_rows():
    rows = read_jsonl(DEMO / "translation.jsonl")
    dev = read_jsonl(DEMO / "translation_dev.jsonl")
    assert len(rows) >= 100 and len(dev) >= 5
    assert len({r["id"] for r in rows + dev}) == len(rows) + len(dev)
    assert not {r["source"] for r in rows} & {r["source"] for r in dev}
    for row in rows + dev:
        assert 3 <= len(row["source"].split()) <= 30, row["id"]
        assert 1 <= len(row["references"]) <= 2 and all(ref.strip() for ref in row["references"])
    assert sum(len(r["references"]) == 2 for r in rows) >= 20
    # the harness's own reader agrees with the schema
    assert len(data.load_file(DEMO / "translation.jsonl")) == len(rows)


def test_demo_summarization_rows():
    rows = read_jsonl(DEMO / "summarization.jsonl")
    assert len(rows) == 60 and len({r["id"] for r in rows}) == 60
    for row in rows:
        assert 80 <= len(row["source"].split()) <= 250, row["id"]
        [summary] = row["references"]
        sentences = summary.split("\n")
        assert 1 <= len(sentences) <= 3, row["id"]
        assert all(s.strip() == s and s.endswith(".") for s in sentences), row["id"]
        assert len(summary.split()) < len(row["source"].split()) / 2
    assert len(data.load_file(DEMO / "summarization.jsonl")) == 60


def test_demo_captioning_rows_and_images():
    rows = read_jsonl(DEMO / "captioning.jsonl")
    assert len(rows) == 60 and len({r["id"] for r in rows}) == 60
    pixels = set()
    for row in rows:
        path = DEMO / row["image"]
        assert path.stat().st_size < 1024, row["id"]
        with Image.open(path) as image:
            image.load()
            assert image.size == (64, 64)
            pixels.add(image.convert("RGB").tobytes())
        refs = row["references"]
        assert 3 <= len(refs) <= 5 and len(set(refs)) == len(refs)
        assert all(ref.strip() == ref and ref for ref in refs), row["id"]
    assert len(pixels) == 60  # no two scenes alike
    examples = data.load_file(DEMO / "captioning.jsonl")
    assert all(Path(ex.image).is_file() for ex in examples)


def test_demo_data_is_what_the_script_writes(tmp_path):
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_demo_data.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True, timeout=120)
    written = {p.relative_to(tmp_path).as_posix(): p.read_bytes()
               for p in tmp_path.rglob("*") if p.is_file()}
    shipped = {p.relative_to(DEMO).as_posix(): p.read_bytes() for p in DEMO.rglob("*") if p.is_file()}
    assert sorted(written) == sorted(shipped)
    changed = [name for name in written if written[name] != shipped[name]]
    assert not changed, f"tasks/demo is stale; rerun scripts/make_demo_data.py ({changed[:5]})"


def test_demo_translation_fewshot_draws_from_the_dev_file():
    path = TASKS / "demo-translation.yaml"
    raw = raw_task(path)
    raw["prompt"]["fewshot"]["k"] = 3
    examples = load_yaml_task(path).load_examples(limit=2)
    [request] = YamlTask(TaskSpec.model_validate(raw), path).requests(examples[:1], "prompt",
                                                                       GenerateConfig())
    dev_pairs = [(r["source"], r["references"][0]) for r in read_jsonl(DEMO / "translation_dev.jsonl")]
    shown = [pair for pair in dev_pairs if f"English: {pair[0]}\nGerman: {pair[1]}" in request.prompt]
    assert len(shown) == 3
    assert request.prompt.endswith(f"English: {examples[0].source}\nGerman:")


# -- hub loading, on a local `datasets` folder laid out as the hub lays out parquet exports ----
def _png(colour: str) -> bytes:
    import io
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def image_dataset(tmp_path, monkeypatch):
    """A flickr30k-like folder: one `test` split whose `split` column marks the rows kept; the
    rows dropped hold bytes no decoder reads, and the `train` file is not parquet at all."""
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    rows = {"img_id": ["0", "1", "2", "3"], "split": ["train", "test", "val", "test"],
            "caption": [["a"], ["red square"], ["c"], ["blue square"]],
            "image": [{"bytes": b"not an image", "path": None}, {"bytes": _png("red"), "path": None},
                      {"bytes": b"not an image", "path": None}, {"bytes": _png("blue"), "path": None}]}
    features = datasets.Features({"img_id": datasets.Value("string"), "split": datasets.Value("string"),
                                  "caption": datasets.List(datasets.Value("string")),
                                  "image": datasets.Image()})
    folder = tmp_path / "flickr"
    (folder / "data").mkdir(parents=True)
    datasets.Dataset.from_dict(rows, features=features).to_parquet(
        folder / "data" / "test-00000-of-00001.parquet")
    (folder / "data" / "train-00000-of-00001.parquet").write_bytes(b"not parquet")
    return folder


def test_hub_split_loads_alone_and_filters_before_decoding_images(image_dataset):
    # a full load would prepare the broken train file, and decoding every row would fail on
    # the two rows the filter drops
    rows = list(data.load_dataset_rows(str(image_dataset), None, "test", None, {"split": "test"}))
    assert [(i, row["img_id"]) for i, row in rows] == [(1, "1"), (3, "3")]
    assert [row["image"].getpixel((0, 0)) for _, row in rows] == [(255, 0, 0), (0, 0, 255)]


def test_hub_filter_on_a_missing_column_names_the_columns(image_dataset):
    with pytest.raises(data.DataError, match=r"source.filter names column\(s\) 'karpathy'.*img_id"):
        list(data.load_dataset_rows(str(image_dataset), None, "test", None, {"karpathy": "test"},
                                    task="flickr30k"))


def test_samsum_reads_the_maintained_copy():
    spec = load_yaml_task(TASKS / "samsum.yaml").spec
    assert spec.source.dataset == "knkarthick/samsum" and spec.source.config is None
    assert (spec.fields.id, spec.fields.source, spec.fields.references) == ("id", "dialogue", ("summary",))


def test_samsum_task_reads_a_csv_copy_laid_out_by_split(tmp_path, monkeypatch):
    # knkarthick/samsum's layout: one CSV per split with id, dialogue, summary; only the test
    # file is read (the train file here is not even CSV)
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    folder = tmp_path / "samsum"
    folder.mkdir()
    (folder / "test.csv").write_text(
        'id,dialogue,summary\n13862856,"Hannah: Hey, got Betty\'s number?\nAmanda: Lemme check",'
        '"Hannah needs Betty\'s number."\n13729565,"Eric: MACHINE!\nRob: That\'s so gr8!",'
        '"Eric and Rob are going to watch a stand-up."\n', encoding="utf-8")
    (folder / "train.csv").write_text('id,dialogue\n"unclosed\n', encoding="utf-8")
    raw = raw_task(TASKS / "samsum.yaml")
    raw["source"]["dataset"] = str(folder)
    examples = YamlTask(TaskSpec.model_validate(raw), TASKS / "samsum.yaml").load_examples()
    assert [ex.id for ex in examples] == ["13862856", "13729565"]
    assert examples[0].source == "Hannah: Hey, got Betty's number?\nAmanda: Lemme check"
    assert examples[1].references == ("Eric and Rob are going to watch a stand-up.",)


# -- a hub source that is gone ---------------------------------------------------------------
def gone_flickr(fallback_folder, monkeypatch) -> YamlTask:
    """flickr30k whose hub source cannot be reached (offline stands for deleted: both fail the
    same load), backed by a local copy."""
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    raw = raw_task(TASKS / "flickr30k.yaml")
    raw["source"].update(dataset="harness-tests/flickr30k-gone", revision="refs/convert/parquet",
                         fallback={"dataset": str(fallback_folder)})
    return YamlTask(TaskSpec.model_validate(raw), TASKS / "flickr30k.yaml")


def test_a_gone_hub_source_falls_back_to_its_copy_and_says_so(image_dataset, monkeypatch, capsys):
    task = gone_flickr(image_dataset, monkeypatch)
    examples = task.load_examples()
    assert [ex.id for ex in examples] == ["1", "3"]  # the copy, filtered as the source would be
    said = capsys.readouterr().err
    assert "harness: warning: task 'flickr30k': cannot load the Hugging Face dataset harness-" \
           "tests/flickr30k-gone at revision 'refs/convert/parquet'" in said
    assert f"reading the task's fallback copy {image_dataset}, split 'test', instead" in said
    assert task.describe()["source"] == f"hf:{image_dataset}:test (fallback)"


def test_when_the_fallback_fails_too_both_failures_are_named(tmp_path, monkeypatch):
    task = gone_flickr(tmp_path / "no-copy-here", monkeypatch)
    with pytest.raises(data.DataError) as err:
        task.load_examples()
    message = str(err.value)
    assert "harness-tests/flickr30k-gone" in message and "The fallback failed too" in message
    assert "no-copy-here" in message and "--data FILE.jsonl" in message
