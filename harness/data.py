"""Loading examples: local JSONL/TSV/CSV files and Hugging Face `datasets`; fingerprints.

The local-file schema (also what ``--data FILE`` reads), one object per line:
``id``, ``source`` (text) and/or ``image`` (path or URL; relative paths are resolved against
the file's folder), ``references`` (list of strings); other fields are kept in ``extra``.
References alone (``id`` + ``references``) are enough to score a file of predictions.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from harness.errors import DataError, MissingDependency
from harness.paths import cache_root
from harness.types import Example

LOCAL_SCHEMA = {"id": "id", "source": "source", "image": "image", "references": "references"}


def read_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, row) pairs of a JSONL, TSV or CSV file; malformed lines are errors."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".tsv", ".csv"):
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f, delimiter="\t" if suffix == ".tsv" else ",")
            for row in reader:
                yield reader.line_num, dict(row)
        return
    with path.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{path}:{line_no}: malformed JSON ({err.msg} at column {err.colno})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}:{line_no}: expected a JSON object, got {type(row).__name__}")
            yield line_no, row


def lookup(row: Mapping[str, Any], dotted: str) -> Any:
    """``translation.en`` → row["translation"]["en"]; a missing key gives KeyError."""
    value: Any = row
    for part in dotted.split("."):
        if isinstance(value, Mapping):
            value = value[part]
        elif isinstance(value, Sequence) and not isinstance(value, str) and part.isdigit():
            value = value[int(part)]
        else:
            raise KeyError(part)
    return value


def row_to_example(row: Mapping[str, Any], fields: Mapping[str, Any], index: int, origin: str,
                   base_dir: Path | None = None) -> Example:
    """Map one row to an Example following a task's ``fields`` (dotted paths)."""
    def get(name: str, required: bool) -> Any:
        path = fields.get(name)
        if path is None:
            return None
        try:
            return lookup(row, path)
        except (KeyError, IndexError, TypeError):
            if required:
                raise DataError(f"{origin}: missing field {path!r} ({name})") from None
            return None

    raw_id = get("id", False)
    example_id = str(index) if raw_id is None else str(raw_id)
    references = _references(row, fields.get("references", "references"), origin)
    # neither input is an error only for a model that reads one (Task.requests says so):
    # scoring a file of existing predictions needs the ids and references alone
    source = get("source", False)
    image, image_name = _image(get("image", False), origin, base_dir)
    used = {str(p).split(".")[0] for p in _flat(fields.values())}
    extra = {k: v for k, v in row.items() if k not in used and _plain(v)}
    return Example(id=example_id, references=references,
                   source=None if source is None else str(source),
                   image=image, extra=extra, origin=origin, image_name=image_name)


def _flat(values: Iterable[Any]) -> Iterator[str]:
    for v in values:
        if isinstance(v, (list, tuple)):
            yield from v
        elif v is not None:
            yield v


def _plain(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except TypeError:
        return False


def _references(row: Mapping[str, Any], paths: Any, origin: str) -> tuple[str, ...]:
    refs: list = []
    for path in ([paths] if isinstance(paths, str) else paths):
        try:
            value = lookup(row, path)
        except (KeyError, IndexError, TypeError):
            raise DataError(f"{origin}: missing 'references' (field {path!r}); each example needs a "
                            f"list of reference strings") from None
        if isinstance(value, Mapping) and "raw" in value:  # COCO-style {"raw": ...} sentences
            value = value["raw"]
        if isinstance(value, (list, tuple)):
            refs.extend(v["raw"] if isinstance(v, Mapping) and "raw" in v else v for v in value)
        else:
            refs.append(value)
    if not refs:
        raise DataError(f"{origin}: 'references' is empty; give at least one reference string")
    for ref in refs:
        if not isinstance(ref, str):
            raise DataError(f"{origin}: reference {ref!r} is not a string")
    return tuple(refs)


def _image(value: Any, origin: str, base_dir: Path | None) -> tuple[str | None, str | None]:
    """(where to read the image, its name as the data gives it: relative to the data file)."""
    if value is None:
        return None, None
    if isinstance(value, Mapping):  # datasets Image feature without decoding: {"path", "bytes"}
        if value.get("bytes"):
            value = _persist(value["bytes"], Path(value.get("path") or "x.img").suffix)
            return value, Path(value).name
        value = value.get("path") or value.get("url")
    if hasattr(value, "save"):  # a decoded PIL image from `datasets`: keep it in the cache folder
        value = _persist_pil(value)
        return value, Path(value).name
    if not isinstance(value, str) or not value:
        raise DataError(f"{origin}: 'image' must be a path or URL string, got {value!r}")
    if "://" in value or base_dir is None:
        return value, value
    location = (base_dir / value).resolve()
    return str(location), os.path.relpath(location, base_dir.resolve())


def _persist_pil(img: Any) -> str:
    import io
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="PNG")
    return _persist(buf.getvalue(), ".png")


def _persist(content: bytes, suffix: str) -> str:
    """A file named by its content in the cache folder: models read paths, and the same
    image stored twice is one file."""
    cache = cache_root() / "images"
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{hashlib.sha256(content).hexdigest()[:24]}{suffix}"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(content)
        tmp.replace(path)  # whole or absent, when runs share the cache
    return str(path)


def load_file(path: Path, fields: Mapping[str, Any] = LOCAL_SCHEMA) -> list[Example]:
    path = Path(path)
    examples = [row_to_example(row, fields, i, f"{path}:{line}", path.parent)
                for i, (line, row) in enumerate(read_rows(path))]
    check_unique(examples)
    if not examples:
        raise DataError(f"{path}: no examples")
    return examples


def load_dataset_rows(dataset: str, config: str | None, split: str, revision: str | None,
                      filters: Mapping[str, Any] | None = None) -> Iterator[tuple[int, dict]]:
    try:
        import datasets
    except ImportError:
        raise MissingDependency("datasets", why="to load tasks from the Hugging Face hub") from None
    ds = datasets.load_dataset(dataset, config, split=split, revision=revision)
    for index, row in enumerate(ds):
        if filters and any(row.get(k) != v for k, v in filters.items()):
            continue
        yield index, row


def check_unique(examples: Sequence[Example]) -> None:
    seen: dict[str, str] = {}
    for ex in examples:
        if ex.id in seen:
            raise DataError(f"{ex.origin}: duplicate id {ex.id!r} (first at {seen[ex.id]})")
        seen[ex.id] = ex.origin


def fingerprint(examples: Sequence[Example]) -> str:
    """Content hash of the examples used: ids, source texts, image bytes (``Example.content``),
    references. Two copies of the same data agree wherever they are; an edited image does not."""
    h = hashlib.sha256()
    for ex in examples:
        h.update(json.dumps(ex.content(), sort_keys=True, ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()
