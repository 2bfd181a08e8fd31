"""Reading local data files row by row, with every problem named by file and line.

JSONL (also ``.ndjson`` and ``.json`` as JSON lines), TSV read verbatim and CSV by RFC 4180,
all UTF-8; a row is a dict of the file's fields. Turning rows into examples is ``data.py``'s
job; this module only reads.
"""
from __future__ import annotations

import codecs
import csv
import json
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from harness.errors import DataError

NUL = b"\x00"
READABLE = (".jsonl", ".ndjson", ".json", ".tsv", ".csv")  # .json: JSON lines too


def read_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, row) pairs of a JSONL, TSV or CSV file; malformed lines are errors.

    Files are UTF-8 (a leading byte-order mark is skipped); any other encoding, a NUL byte or
    a lone surrogate (``"\\ud800"`` in JSON) stops with the file and line. TSV is read
    verbatim: one line is one row, fields split on tabs, no quoting. CSV follows RFC 4180
    (double quotes around fields that hold commas, quotes or line breaks). A repeated
    ``references`` column gives several references; see ``table_row``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix not in READABLE:
        raise DataError(f"{path}: cannot read {suffix or 'a file without a suffix'}; data files are "
                        f"JSONL (.jsonl, one JSON object per line), .tsv or .csv")
    lines = _decoded_lines(path)
    rows = _tsv_rows(path, lines) if suffix == ".tsv" else _csv_rows(path, lines) \
        if suffix == ".csv" else _jsonl_rows(path, lines)
    for line_no, row in rows:
        check_text(row, f"{path}:{line_no}")
        yield line_no, row


def _decoded_lines(path: Path) -> Iterator[tuple[int, str]]:
    """UTF-8 lines (with their ends), decoded one at a time so an error names its line."""
    try:
        f = path.open("rb")
    except OSError as err:
        raise DataError(f"{path}: cannot read: {err.strerror}") from None
    with f:
        for line_no, raw in enumerate(f, 1):
            if line_no == 1:
                if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    raise DataError(f"{path}:1: the file is UTF-16 (it starts with a UTF-16 "
                                    f"byte-order mark); data files are UTF-8: save it as UTF-8")
                raw = raw.removeprefix(codecs.BOM_UTF8)  # Excel writes one; it is not data
            if NUL in raw:
                raise DataError(f"{path}:{line_no}: NUL byte at column {raw.index(NUL) + 1}: "
                                f"the file looks UTF-16 or binary; data files are UTF-8 text")
            try:
                yield line_no, raw.decode("utf-8")
            except UnicodeDecodeError as err:
                column = len(raw[:err.start].decode("utf-8", "replace")) + 1
                raise DataError(f"{path}:{line_no}: not UTF-8 (byte 0x{raw[err.start]:02x} at "
                                f"column {column}); save the file as UTF-8") from None


def _jsonl_rows(path: Path, lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, dict]]:
    for line_no, line in lines:
        if not line.strip():
            continue
        try:
            row = json.loads(line, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
        except _Refused as err:
            raise DataError(f"{path}:{line_no}: {err}") from None
        except json.JSONDecodeError as err:
            raise DataError(f"{path}:{line_no}: malformed JSON ({err.msg} at column {err.colno})") from None
        except RecursionError:
            raise DataError(f"{path}:{line_no}: JSON nested too deeply") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}:{line_no}: expected a JSON object, got {type(row).__name__}")
        yield line_no, row


class _Refused(ValueError):
    """What JSON allows but a data row must not hold."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    row = dict(pairs)
    if len(row) != len(pairs):
        seen: set[str] = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _Refused(f"key {key!r} appears twice in one object; JSON keeps only the last, so "
                       f"remove one")
    return row


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON value (Python writes it for a float that is not a "
                   f"number); give a string or a number")


def _tsv_rows(path: Path, lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, dict]]:
    header: list[str] | None = None
    for line_no, line in lines:
        line = line.removesuffix("\n").removesuffix("\r")
        if header is None:
            header = _header(line.split("\t"), f"{path}:{line_no}")
            continue
        if not line:
            continue  # a blank line is no row
        cells = line.split("\t")
        if len(cells) != len(header):
            raise DataError(f"{path}:{line_no}: {len(cells)} tab-separated fields, but the header "
                            f"has {len(header)}; TSV is read verbatim (no quoting), so a field "
                            f"cannot hold a tab or a line break (use JSONL for those)")
        yield line_no, table_row(header, cells, f"{path}:{line_no}")
    if header is None:
        raise DataError(f"{path}: no examples (an empty file)")


def _csv_rows(path: Path, lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, dict]]:
    reader = csv.reader((line for _, line in lines), strict=True)
    header: list[str] | None = None
    start = 1
    try:
        for cells in reader:
            where = f"{path}:{start}"
            start = reader.line_num + 1
            if not cells:
                continue  # a blank line is no row
            if header is None:
                header = _header(cells, where)
                continue
            if len(cells) != len(header):
                raise DataError(f"{where}: {len(cells)} comma-separated fields, but the header has "
                                f"{len(header)}; quote fields holding commas (RFC 4180)")
            yield start - 1, table_row(header, cells, where)
    except csv.Error as err:
        raise DataError(f"{path}:{reader.line_num}: not valid CSV (RFC 4180: {err}); enclose a "
                        f"field holding commas, quotes or line breaks in double quotes and "
                        f"double the quotes inside it") from None
    if header is None:
        raise DataError(f"{path}: no examples (an empty file)")


def _header(names: list[str], where: str) -> list[str]:
    seen: set[str] = set()
    for name in names:
        if not name:
            raise DataError(f"{where}: the header has an empty column name")
        if name in seen and name != "references":
            raise DataError(f"{where}: column {name!r} appears twice in the header (only "
                            f"'references' may repeat: one reference per column)")
        seen.add(name)
    return names


def table_row(header: Sequence[str], cells: Sequence[str], where: str) -> dict:
    """A TSV/CSV row as the JSONL schema reads it. Several references are written as repeated
    ``references`` columns (an empty cell in the second or a later one: this example has fewer
    references) or as one cell holding a JSON list of strings (``["r1", "r2"]``)."""
    row: dict[str, Any] = {}
    refs: list[str] = []
    n_ref_columns = 0
    for name, cell in zip(header, cells):
        if name != "references":
            row[name] = cell
            continue
        n_ref_columns += 1
        listed = _json_list(cell)
        if listed is not None:
            refs.extend(listed)
        elif cell or n_ref_columns == 1:
            refs.append(cell)  # an empty first cell is an empty reference: refused later
    if n_ref_columns:
        row["references"] = refs
    return row


def _json_list(cell: str) -> list | None:
    if not (cell.startswith("[") and cell.endswith("]")):
        return None
    try:
        value = json.loads(cell)
    except ValueError:
        return None  # "[laughs]" is a reference, not a list
    return value if isinstance(value, list) else None


def check_text(value: Any, where: str, name: str = "") -> None:
    """Refuse lone surrogates (JSON's ``"\\ud800"``): they are not text, and every writer
    (the cache, run.json, the metrics' tokenizers) would fail on them later."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as err:
            raise DataError(f"{where}: {('field ' + repr(name) + ' ') if name else ''}holds a lone "
                            f"surrogate ({value[err.start]!r} at character {err.start + 1}), "
                            f"which is not valid Unicode text; fix the escape") from None
    elif isinstance(value, Mapping):
        for key, item in value.items():
            check_text(key, where, name)
            check_text(item, where, f"{name}.{key}" if name else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            check_text(item, where, f"{name}[{index}]")
