"""What evaluate records: the generator closed before scoring, failed examples, failed runs,
and predictions scored as written."""
import json

import pytest

from conftest import write_jsonl
from harness.run import score
from harness.engine import EngineSettings
from harness.errors import DataError, HarnessError, UsageError
from harness.models.base import Model
from harness.run import RunOptions, evaluate
from harness.record import MAX_LISTED_ERRORS
from harness.record.store import load_runs
from harness.types import Generation, InputKind

ROWS = [{"id": f"s{i}", "source": f"Sentence number {i} is here. It has two parts.",
         "references": [f"Sentence number {i} is here.\nIt has two parts."]} for i in range(30)]


class Scripted(Model):
    """Answers with the source; fails the examples it is told to; logs what happens when."""

    input_kind = InputKind.SOURCE
    cacheable = False

    def __init__(self, log: list, failing=()):
        super().__init__("scripted")
        self.log, self.failing = log, set(failing)

    def generate(self, requests):
        self.log.append("generate")
        for r in requests:
            if r.example_id in self.failing:
                yield Generation(example_id=r.example_id, text="", error=f"backend said no to {r.example_id}")
            else:
                yield Generation(example_id=r.example_id, text=r.prompt or "")

    def close(self):
        self.log.append("close")


@pytest.fixture
def task(tmp_path):
    data = write_jsonl(tmp_path / "data.jsonl", ROWS)
    path = tmp_path / "summ.yaml"
    path.write_text(json.dumps({"name": "summ", "family": "summarization", "source": {"path": str(data)},
                                "postprocess": ["strip", "sentences_to_lines"],
                                "metrics": [{"name": "rougeLsum", "use_stemmer": True}, "rouge1"]}))
    return str(path)


SKIP = EngineSettings(on_error="skip", progress=False)  # record failed examples, score the rest


def _options(tmp_path, **kw):
    return RunOptions(output=tmp_path / "out", n_bootstrap=0, **kw)


def test_every_task_is_generated_and_the_model_closed_before_any_scoring(tmp_path, task, monkeypatch):
    log = []
    real = score.score_predictions

    def scoring(*args, **kw):
        log.append("score")
        return real(*args, **kw)
    monkeypatch.setattr(score, "score_predictions", scoring)
    other = tmp_path / "other.yaml"
    other.write_text(json.dumps({"name": "other", "family": "summarization",
                                 "source": {"path": str(tmp_path / "data.jsonl")}, "metrics": ["rouge1"]}))
    records = evaluate("scripted", [task, str(other)], _options(tmp_path), model=Scripted(log))
    assert log == ["generate", "generate", "close", "score", "score"]
    assert [r.task.name for r in records] == ["summ", "other"]
    assert all(r.status == "complete" and r.folder.is_dir() for r in records)


def test_failed_examples_make_a_partial_run_scored_on_the_rest(tmp_path, task):
    failing = {"s3", "s7"}
    [record] = evaluate("scripted", [task], _options(tmp_path, limit=10), model=Scripted([], failing),
                        engine_settings=SKIP)
    assert record.status == "partial" and record.n_errors == 2 and record.n_scored == 8
    assert [(e.id, e.error) for e in record.errors] == [("s3", "backend said no to s3"),
                                                         ("s7", "backend said no to s7")]
    samples = [json.loads(l) for l in (record.folder / "samples.jsonl").read_text().splitlines()]
    assert [s["id"] for s in samples] == [f"s{i}" for i in range(10)]
    assert samples[3]["error"] == "backend said no to s3" and samples[3]["scores"] == {}
    assert samples[4]["error"] is None and "rouge1" in samples[4]["scores"]
    assert record.stats("rouge1").shape[0] == 8
    # the same numbers as scoring only the examples that succeeded, under another data fingerprint
    kept = write_jsonl(tmp_path / "kept.jsonl", [r for r in ROWS[:10] if r["id"] not in failing])
    [whole] = evaluate("scripted", [task], RunOptions(data=kept, n_bootstrap=0, write=False),
                       model=Scripted([]))
    assert record.score("rouge1").score == whole.score("rouge1").score
    assert record.score("rouge1").signature == whole.score("rouge1").signature
    assert record.task.data_fingerprint != whole.task.data_fingerprint  # what was asked differs
    # partial runs are not results unless asked for
    assert load_runs(record.folder.parent) == []
    assert load_runs(record.folder.parent, statuses=("complete", "partial"))[0].run_id == record.run_id
    with pytest.raises(DataError, match="this run is partial"):
        load_runs(record.folder)


def test_by_default_a_failed_example_stops_the_run_naming_it(tmp_path, task):
    with pytest.raises(HarnessError, match="example 's3': backend said no.*--on-error skip"):
        evaluate("scripted", [task], _options(tmp_path, limit=10), model=Scripted([], {"s3"}))
    assert not (tmp_path / "out").exists()


def test_the_record_lists_the_first_errors_and_samples_hold_all(tmp_path, task):
    failing = {f"s{i}" for i in range(25)}
    [record] = evaluate("scripted", [task], _options(tmp_path), model=Scripted([], failing),
                        engine_settings=SKIP)
    assert record.n_errors == 25 and len(record.errors) == MAX_LISTED_ERRORS and record.n_scored == 5
    samples = [json.loads(l) for l in (record.folder / "samples.jsonl").read_text().splitlines()]
    assert sum(s["error"] is not None for s in samples) == 25


def test_when_every_example_fails_the_run_is_recorded_failed(tmp_path, task):
    with pytest.raises(DataError, match=r"no example to score.*'s0': backend said no to s0"):
        evaluate("scripted", [task], _options(tmp_path, limit=3),
                 model=Scripted([], {"s0", "s1", "s2"}), engine_settings=SKIP)
    [failed] = load_runs(tmp_path / "out", statuses=("failed",))
    assert failed.status == "failed" and "no example to score" in failed.error and failed.scores == {}


def test_a_task_that_fails_in_scoring_is_recorded_failed_and_never_latest(tmp_path, task, monkeypatch):
    [good] = evaluate("scripted", [task], _options(tmp_path, limit=4), model=Scripted([]))

    def broken(*args, **kw):
        raise RuntimeError("scorer crashed")
    monkeypatch.setattr(score, "score_predictions", broken)
    with pytest.raises(RuntimeError, match="scorer crashed"):
        evaluate("scripted", [task], _options(tmp_path, limit=4), model=Scripted([]))
    folder = good.folder.parent
    assert (folder / "latest").read_text().strip() == good.run_id
    assert [r.run_id for r in load_runs(folder)] == [good.run_id]
    [failed] = load_runs(folder, all_runs=True, statuses=("failed",))
    assert failed.error == "RuntimeError: scorer crashed" and failed.run_id != good.run_id
    samples = (failed.folder / "samples.jsonl").read_text().splitlines()
    assert len(samples) == 4
    with pytest.raises(DataError, match="this run is failed: RuntimeError: scorer crashed"):
        load_runs(failed.folder)


def _predictions(tmp_path, text_of):
    return write_jsonl(tmp_path / "preds.jsonl", [{"id": r["id"], "prediction": text_of(r)} for r in ROWS])


def test_a_predictions_file_is_scored_as_written_unless_asked(tmp_path, task):
    # one line per output, as a system wrote it: sentences_to_lines would split it, and
    # rougeLsum's union LCS would then match each half of the reference's first sentence
    def text(row):
        return f"is here. Sentence number {row['id'][1:]} It has two parts.  "
    preds = _predictions(tmp_path, text)
    [as_written] = evaluate(f"predictions:{preds}", [task], _options(tmp_path))
    [with_steps] = evaluate(f"predictions:{preds}", [task], _options(tmp_path, postprocess="task"))
    [stripped] = evaluate(f"predictions:{preds}", [task], _options(tmp_path, postprocess="strip"))
    assert as_written.postprocess == [] and stripped.postprocess == ["strip"]
    assert with_steps.postprocess == ["strip", "sentences_to_lines"]
    assert as_written.score("rougeLsum").score < with_steps.score("rougeLsum").score == 100.0
    assert as_written.score("rouge1").score == with_steps.score("rouge1").score
    first = json.loads((as_written.folder / "samples.jsonl").read_text().splitlines()[0])
    assert first["prediction"] == text(ROWS[0]) and first["raw_output"] is None


def test_generating_models_keep_the_task_steps_by_default(tmp_path, task):
    [record] = evaluate("scripted", [task], _options(tmp_path, limit=2), model=Scripted([]))
    assert record.postprocess == ["strip", "sentences_to_lines"]
    assert record.score("rougeLsum").score == 100.0


def test_an_unknown_postprocess_step_fails_before_the_model_loads(tmp_path, task):
    # loading this model would fail on the missing file; the option is checked first
    with pytest.raises(UsageError, match=r"--postprocess: unknown step 'frist_line' \(did you mean "
                                         r"'first_line'.*give 'task', 'none' or a comma list of: strip,"):
        evaluate(f"predictions:{tmp_path}/missing.jsonl", [task],
                 _options(tmp_path, postprocess="strip,frist_line"))


def test_a_task_listed_twice_is_refused(tmp_path, task):
    with pytest.raises(UsageError, match="list it once"):
        evaluate("scripted", [task, task], _options(tmp_path), model=Scripted([]))


def test_metric_statistics_are_cached_beside_the_generations_unless_caching_is_off(tmp_path, task):
    cached = EngineSettings(cache_dir=tmp_path / "cache", progress=False)
    [first] = evaluate("scripted", [task], _options(tmp_path), model=Scripted([]), engine_settings=cached)
    assert len(list((tmp_path / "cache" / "metric-stats").rglob("*.npy"))) == 2  # rougeLsum, rouge1
    [again] = evaluate("scripted", [task], _options(tmp_path), model=Scripted([]), engine_settings=cached)
    assert again.scores == first.scores
    off = EngineSettings(cache_dir=tmp_path / "off", use_cache=False, progress=False)
    evaluate("scripted", [task], _options(tmp_path), model=Scripted([]), engine_settings=off)
    assert not (tmp_path / "off").exists()
