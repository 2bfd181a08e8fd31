"""Outputs written by other evaluation harnesses, read as predictions: lm-evaluation-harness
``samples_*.jsonl``, lighteval details parquet and inspect_ai logs (``.eval`` or ``.json``).

Each reader gives one ``ForeignOutput`` per example: its id, the text the other tool scored,
the references the other tool held (checked against the task's by the predictions model) and
where in the file it was, for error messages. Which field is the example's id:

- lm-eval: the document's ``id_field`` (default ``id``) when the document has it, else
  lm-eval's ``doc_id`` (the document's position in the split it evaluated);
- lighteval: the document's ``specific[id_field]`` when present, else the row's position;
- inspect: the sample's ``metadata[id_field]`` when present, else the sample's own ``id``.

Ids are matched, never positions or document text: two documents can share a text, and a
position is only meaningful for the file the other tool read.
"""
from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from harness.data import check_id
from harness.data.files import read_rows
from harness.errors import DataError, MissingDependency

FORMATS = ("lm-eval", "lighteval", "inspect")
PARQUET_MAGIC, ZIP_MAGIC = b"PAR1", b"PK\x03\x04"
ZIP_ZSTD = 93  # the compression inspect_ai writes .eval entries with


@dataclass(frozen=True)
class ForeignOutput:
    example_id: str
    text: str
    references: tuple[str, ...]  # as the other tool held them; () where the file has none
    where: str  # "samples.jsonl:12", "log.eval:samples/3_epoch_1.json"


@dataclass(frozen=True)
class Selection:
    """Which of several outputs per example to take, and where the id is."""
    id_field: str = "id"
    filter: str = ""  # lm-eval: the filter's name; "" takes the only one
    epoch: int = 1  # inspect: the epoch


def detect(path: Path) -> str | None:
    """The foreign format a file is in, from its content, or None for the harness's own
    formats (JSONL of {id, prediction}, plain text)."""
    with path.open("rb") as f:
        head = f.read(4)
        f.seek(0)
        first_line = f.readline(1 << 20).strip()
    if head == PARQUET_MAGIC:
        return "lighteval"
    if head == ZIP_MAGIC:
        return "inspect"
    if first_line == b"{":  # a JSON document over many lines, as inspect writes its .json logs
        return "inspect"
    try:
        row = json.loads(first_line)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(row, dict) and "doc_id" in row and "filtered_resps" in row:
        return "lm-eval"
    return None


def read(path: Path, fmt: str, selection: Selection) -> list[ForeignOutput]:
    reader = {"lm-eval": read_lm_eval, "lighteval": read_lighteval, "inspect": read_inspect}[fmt]
    return list(reader(path, selection))


def reported(path: Path, fmt: str, selection: Selection) -> dict[str, float]:
    """The corpus scores the other tool reported for these outputs, {metric: value}, where
    the file holds them (inspect's log) or lies beside them (lm-eval's ``results_<date>.json``
    next to ``samples_<task>_<date>.jsonl``); {} where neither does. Shown next to the
    harness's own numbers, so a user sees where the two agree."""
    if fmt == "inspect":
        results = _inspect_results(path)
        return {name: m["value"] for scorer in (results or {}).get("scores", [])
                for name, m in (scorer.get("metrics") or {}).items()
                if isinstance(m, dict) and isinstance(m.get("value"), (int, float))}
    named = re.fullmatch(r"(?:samples|details)_(.+)_(\d{4}-\d{2}-\d{2}T[\d.:-]+)\.(?:jsonl|parquet)",
                         path.name)
    results_file = _results_file(path, fmt, named.group(2)) if named else None
    if results_file is None or not results_file.is_file():
        return {}
    scores = (_json(results_file.read_bytes(), str(results_file)).get("results") or {}).get(named.group(1), {})
    if fmt == "lighteval":
        return {key: value for key, value in scores.items()
                if not key.endswith("_stderr") and isinstance(value, (int, float))}
    chosen = selection.filter or "none"
    return {key.split(",")[0]: value for key, value in scores.items()
            if key.endswith(f",{chosen}") and "_stderr" not in key and isinstance(value, (int, float))}


def _results_file(path: Path, fmt: str, date: str) -> Path | None:
    """lm-eval writes results_<date>.json beside its samples; lighteval writes
    OUT/details/MODEL/<date>/details_<task>_<date>.parquet and OUT/results/MODEL/results_<date>.json."""
    if fmt == "lm-eval":
        return path.with_name(f"results_{date}.json")
    parts = path.resolve().parts
    if fmt != "lighteval" or "details" not in parts[:-2]:
        return None
    top = len(parts) - 3 - parts[:-2][::-1].index("details")
    return Path(*parts[:top], "results", *parts[top + 1:-2], f"results_{date}.json")


def _inspect_results(path: Path) -> dict | None:
    if not _is_zip(path):
        document = _json(path.read_bytes(), str(path))
        return document.get("results") if isinstance(document, dict) else None
    with zipfile.ZipFile(path) as log:
        if "header.json" not in log.namelist():  # a log still being written
            return None
        header = _json(_zip_entry(path, log, log.getinfo("header.json")), f"{path}:header.json")
    return header.get("results") if isinstance(header, dict) else None


def read_lm_eval(path: Path, selection: Selection) -> Iterator[ForeignOutput]:
    """``--log_samples`` rows: one per document and filter; the output is the filtered
    response lm-eval scored (``filtered_resps[0]``), the reference its ``target``."""
    rows = [(line, row) for line, row in read_rows(_as_jsonl(path))]
    filters = sorted({str(row.get("filter", "")) for _, row in rows})
    chosen = selection.filter or (filters[0] if len(filters) == 1 else "")
    if not chosen or chosen not in filters:
        raise DataError(f"{path}: {'unknown filter ' + repr(selection.filter) + '; ' if selection.filter else ''}"
                        f"the file holds the outputs of filters {', '.join(filters)}; "
                        f"choose one with --model-args filter=NAME")
    for line, row in rows:
        if str(row.get("filter", "")) != chosen:
            continue
        where = f"{path}:{line}"
        missing = [k for k in ("doc_id", "doc", "filtered_resps") if k not in row]
        if missing:
            raise DataError(f"{where}: not an lm-eval sample: no {missing[0]!r} field (an "
                            f"lm-eval --log_samples row has doc_id, doc, target, filtered_resps)")
        doc, responses = row["doc"], row["filtered_resps"]
        if not isinstance(responses, list) or not responses or not isinstance(responses[0], str):
            raise DataError(f"{where}: 'filtered_resps' is not a list of generated texts (a "
                            f"loglikelihood or multiple-choice task has no text to score)")
        own = doc.get(selection.id_field) if isinstance(doc, dict) else None
        key = check_id(own if own is not None else row["doc_id"], where, owner="sample")
        yield ForeignOutput(key, responses[0], _texts(row.get("target")), where)


def read_inspect(path: Path, selection: Selection) -> Iterator[ForeignOutput]:
    """An inspect_ai log: ``.eval`` (a zip holding ``samples/<id>_epoch_<n>.json``) or
    ``.json`` (one document with a ``samples`` list); the output is the sample's
    ``output.completion``, the references its ``target``."""
    epochs: set[int] = set()
    found = False
    for where, sample in _inspect_samples(path):
        if not isinstance(sample, dict) or "output" not in sample or "id" not in sample:
            raise DataError(f"{where}: not an inspect_ai sample (no 'id' or 'output')")
        epoch = sample.get("epoch", 1)
        epochs.add(epoch)
        if epoch != selection.epoch:
            continue
        found = True
        if sample.get("error"):
            raise DataError(f"{where}: the sample failed in inspect ({_short(sample['error'])}); "
                            f"its output cannot be scored: rerun it there or drop it")
        completion = (sample["output"] or {}).get("completion")
        if not isinstance(completion, str):
            raise DataError(f"{where}: the sample has no text output ('output.completion')")
        own = (sample.get("metadata") or {}).get(selection.id_field)
        key = check_id(own if own is not None else sample["id"], where, owner="sample")
        yield ForeignOutput(key, completion, _texts(sample.get("target")), where)
    if not found:
        raise DataError(f"{path}: no sample of epoch {selection.epoch}"
                        + (f"; the log holds epochs {', '.join(map(str, sorted(epochs)))}: choose one "
                           f"with --model-args epoch=N" if epochs else "; the log holds no samples "
                           "(was it written with --no-log-samples?)"))


def _inspect_samples(path: Path) -> Iterator[tuple[str, Any]]:
    if _is_zip(path):
        try:
            with zipfile.ZipFile(path) as log:
                for entry in log.infolist():
                    if entry.filename.startswith("samples/"):
                        where = f"{path}:{entry.filename}"
                        yield where, _json(_zip_entry(path, log, entry), where)
        except zipfile.BadZipFile as err:
            raise DataError(f"{path}: not a readable inspect_ai .eval log ({err})") from None
        return
    document = _json(path.read_bytes(), str(path))
    if not isinstance(document, dict) or not isinstance(document.get("samples"), list):
        raise DataError(f"{path}: not an inspect_ai log: no 'samples' list (a log written with "
                        f"--log-format json holds eval, results and samples)")
    for i, sample in enumerate(document["samples"]):
        yield f"{path}: samples[{i}]", sample


def _is_zip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == ZIP_MAGIC


def _zip_entry(path: Path, log: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes:
    """An entry's bytes; zstd entries through zstandard where this Python's zipfile lacks
    zstd (before 3.14), as inspect_ai itself reads them."""
    try:
        return log.read(entry)
    except NotImplementedError:
        if entry.compress_type != ZIP_ZSTD:
            raise DataError(f"{path}:{entry.filename}: compressed with method "
                            f"{entry.compress_type}, which this Python cannot read") from None
    try:
        import zstandard
    except ImportError:
        raise MissingDependency("zstandard", extra="foreign",
                                why="to read inspect_ai's zstd-compressed .eval logs") from None
    with path.open("rb") as f:  # the local header: 30 bytes, then the name and extra field
        f.seek(entry.header_offset)
        header = f.read(30)
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        f.seek(entry.header_offset + 30 + name_len + extra_len)
        raw = f.read(entry.compress_size)
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw), read_across_frames=True)
    return reader.read()


def read_lighteval(path: Path, selection: Selection) -> Iterator[ForeignOutput]:
    """A lighteval details parquet (``--save-details``, lighteval 0.10 and later): one row per
    document, in no fixed order; the output is ``model_response.text_post_processed[0]`` (else
    ``text[0]``), the references the document's gold choices."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingDependency("pyarrow", extra="foreign", why="to read lighteval's parquet details") from None
    try:
        rows = pq.read_table(path).to_pylist()
    except Exception as err:  # pyarrow's errors have no common base worth naming
        raise DataError(f"{path}: not a readable parquet file ({err})") from None
    for i, row in enumerate(rows):
        where = f"{path}: row {i}"
        doc, response = row.get("doc"), row.get("model_response")
        if not isinstance(doc, dict) or not isinstance(response, dict):
            raise DataError(f"{where}: not a lighteval details row (no 'doc' and 'model_response' "
                            f"columns; details from lighteval before 0.10 are not read)")
        # after lighteval's own post-processing (reasoning tags removed): what its metrics read
        texts = response.get("text_post_processed") or response.get("text") or []
        if not texts or not isinstance(texts[0], str):
            raise DataError(f"{where}: 'model_response.text' holds no generated text")
        choices, gold = doc.get("choices") or [], doc.get("gold_index")
        gold = [gold] if isinstance(gold, int) else list(gold or [])
        own = _specific(doc).get(selection.id_field)
        key = check_id(own if own is not None else i, where, owner="sample")
        yield ForeignOutput(key, texts[0], tuple(choices[g] for g in gold if g < len(choices)), where)


def _specific(doc: dict) -> dict:
    specific = doc.get("specific")
    if isinstance(specific, str):  # lighteval stores it as JSON text where its types vary
        try:
            specific = json.loads(specific)
        except ValueError:
            return {}
    return specific if isinstance(specific, dict) else {}


def _texts(value: Any) -> tuple[str, ...]:
    """References as a tuple of texts; a target that is not text (a choice index) gives ()."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    return ()


def _as_jsonl(path: Path) -> Path:
    if path.suffix.lower() not in (".jsonl", ".json", ".ndjson"):
        raise DataError(f"{path}: an lm-eval samples file is JSON lines; name it .jsonl, as "
                        f"lm-eval does (samples_<task>_<date>.jsonl)")
    return path


def _json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise DataError(f"{where}: malformed JSON ({err})") from None


def _short(value: Any) -> str:
    text = str(value.get("message", value) if isinstance(value, dict) else value)
    return text if len(text) <= 80 else text[:77] + "..."
