"""Loading examples: local JSONL/TSV/CSV files and Hugging Face `datasets`; fingerprints.

The local-file schema (also what ``--data FILE`` reads), one object per line:
``id``, ``source`` (text) and/or ``image`` (path or URL; relative paths are resolved against
the file's folder), ``references`` (list of strings); other fields are kept in ``extra``.
References alone (``id`` + ``references``) are enough to score a file of predictions.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from harness.data.files import read_rows
from harness.errors import DataError, MissingDependency
from harness.paths import cache_root
from harness.types import NO_EXTRA, Example

LOCAL_SCHEMA = {"id": "id", "source": "source", "image": "image", "references": "references"}


class SourceUnavailable(DataError):
    """A hub dataset that could not be loaded at all (offline, gone, no such revision), as
    opposed to one that loaded with bad rows: a task's fallback copy is worth trying."""


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
                   base_dir: Path | None = None, allow_outside: bool = False) -> Example:
    """Map one row to an Example following a task's ``fields`` (dotted paths).

    With ``fields["id"]`` set every row needs an id (a string or an integer); unset, rows
    are numbered in order. Local images must lie in ``base_dir`` or below unless
    ``allow_outside``."""
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

    example_id = str(index) if fields.get("id") is None else check_id(get("id", False), origin, fields["id"])
    references = _references(row, fields.get("references", "references"), origin)
    # neither input is an error only for a model that reads one (Task.requests says so):
    # scoring a file of existing predictions needs the ids and references alone
    source = get("source", False)
    if source is not None and not isinstance(source, str):
        raise DataError(f"{origin}: 'source' (field {fields['source']!r}) must be a string, got "
                        f"{type(source).__name__} {_short(source)}")
    image, image_name = _image(get("image", False), origin, base_dir, allow_outside)
    used = {str(p).split(".")[0] for p in _flat(fields.values())}
    extra = {k: v for k, v in row.items() if k not in used and _plain(v)}
    return Example(id=example_id, references=references, source=source,
                   image=image, extra=extra or NO_EXTRA, origin=origin, image_name=image_name)


def check_id(value: Any, where: str, field: str | None = None, owner: str = "example") -> str:
    """An id as every reader takes it: a string or an integer, never null or empty (a null
    would otherwise become the id "None", or the row number)."""
    named = f" (field {field!r})" if field else ""
    if value is None or value == "":
        raise DataError(f"{where}: missing id{named}; every {owner} needs the unique string or "
                        f"integer id of its example")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise DataError(f"{where}: id{named} must be a string or an integer, got "
                        f"{type(value).__name__} {_short(value)}")
    return str(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
        if value is None:
            raise DataError(f"{origin}: 'references' (field {path!r}) is null; give a list of "
                            f"reference strings")
        if isinstance(value, (list, tuple)):
            refs.extend(v["raw"] if isinstance(v, Mapping) and "raw" in v else v for v in value)
        else:
            refs.append(value)
    if not refs:
        raise DataError(f"{origin}: 'references' is empty; give at least one reference string")
    for n, ref in enumerate(refs, 1):
        if not isinstance(ref, str):
            raise DataError(f"{origin}: reference {n} is not a string (got "
                            f"{type(ref).__name__} {_short(ref)}); references are a list of strings")
        if not ref.strip():
            raise DataError(f"{origin}: reference {n} is empty; every reference needs text "
                            f"(remove it, or fix the cell)")
    return tuple(refs)


def _image(value: Any, origin: str, base_dir: Path | None,
           allow_outside: bool = False) -> tuple[str | None, str | None]:
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
    if "://" in value:
        if not value.lower().startswith(("http://", "https://")):
            raise DataError(f"{origin}: image {value!r}: only http:// and https:// URLs are read; "
                            f"give a local file as a path relative to the data file")
        return value, value
    if base_dir is None:
        return value, value
    location = (base_dir / value).resolve()  # symlinks count by where they point
    name = os.path.relpath(location, base_dir.resolve())
    if not allow_outside and (name == ".." or name.startswith(".." + os.sep) or os.path.isabs(name)):
        raise DataError(f"{origin}: image {value!r} is outside the data file's folder "
                        f"({base_dir}); images are read from that folder and below only (a "
                        f"symlink counts by its target); move it there, or rerun with "
                        f"--allow-outside-paths")
    return str(location), name


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


def load_file(path: Path, fields: Mapping[str, Any] = LOCAL_SCHEMA,
              allow_outside: bool = False) -> list[Example]:
    path = Path(path)
    examples = [row_to_example(row, fields, i, f"{path}:{line}", path.parent, allow_outside)
                for i, (line, row) in enumerate(read_rows(path))]
    check_unique(examples)
    if not examples:
        raise DataError(f"{path}: no examples")
    return examples


def load_dataset_rows(dataset: str, config: str | None, split: str, revision: str | None,
                      filters: Mapping[str, Any] | None = None,
                      task: str = "") -> Iterator[tuple[int, dict]]:
    """(index in the split, row) for the rows of a hub (or local ``datasets``) split whose
    columns equal ``filters``; a row is decoded (images included) only when it is kept."""
    try:
        import datasets
    except ImportError:
        raise MissingDependency("datasets", extra="hub", why="to load tasks from the Hugging Face hub (or pass a "
                                "local copy with --data FILE.jsonl)") from None
    named = f"{dataset}" + (f" (config {config!r})" if config else "") + \
        (f" at revision {revision!r}" if revision else "") + f", split {split!r}"
    where = f"{'task ' + repr(task) + ': ' if task else ''}"
    _show_download_progress(datasets)
    try:
        ds = _load_split(datasets, dataset, config, split, revision)
    except Exception as err:  # offline, no such dataset/config/split, a broken download: one line
        reason = " ".join(str(err).split())[:300] or type(err).__name__
        raise SourceUnavailable(f"{where}cannot load the Hugging Face dataset {named}: "
                                f"{type(err).__name__}: {reason}. Check the network (or "
                                f"HF_DATASETS_OFFLINE with a filled cache), or pass a local "
                                f"copy with --data FILE.jsonl") from None
    if not filters:
        yield from enumerate(ds)
        return
    missing = [k for k in filters if k not in ds.column_names]
    if missing:
        raise DataError(f"{where}source.filter names column(s) {', '.join(map(repr, missing))} that "
                        f"{named} lacks; its columns: {', '.join(ds.column_names)}")
    keep = _rows_matching(ds, filters)
    yield from zip(keep, ds.select(keep))


def _load_split(datasets: Any, dataset: str, config: str | None, split: str,
                revision: str | None) -> Any:
    """Only the split a task reads. ``load_dataset(split=X)`` downloads and prepares every
    split first (CNN/DailyMail's 287k training articles to score 11k test ones), so the
    split's own data files, as the dataset's layout names them, are loaded alone; a dataset
    whose files do not say which split they hold is loaded whole."""
    builder = datasets.load_dataset_builder(dataset, config, revision=revision)
    files = builder.config.data_files or {}
    base = split.split("[")[0]  # "test[:100]" reads the files of "test"
    if base in files and len(files) > 1:
        return datasets.load_dataset(dataset, config, revision=revision, split=split,
                                     data_files={base: list(files[base])},
                                     features=builder.info.features)
    return datasets.load_dataset(dataset, config, split=split, revision=revision)


def _rows_matching(ds: Any, filters: Mapping[str, Any]) -> list[int]:
    """Rows whose columns equal ``filters``, read from those columns alone: no image of a row
    dropped is decoded (flickr30k keeps 1,000 of its 31,014 images)."""
    columns = ds.select_columns(list(filters))
    return [i for i, row in enumerate(columns) if all(row[k] == v for k, v in filters.items())]


def _show_download_progress(datasets: Any) -> None:
    """A first load downloads gigabytes; a model loaded earlier in the process may have turned
    the bars off. HF_DATASETS_DISABLE_PROGRESS_BARS=1 keeps them off."""
    if os.environ.get("HF_DATASETS_DISABLE_PROGRESS_BARS", "").lower() not in ("1", "true", "yes"):
        datasets.enable_progress_bars()


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
