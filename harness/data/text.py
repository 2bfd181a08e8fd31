"""Plain text as sacrebleu reads it: one segment a line, several reference files for several
references per segment.

A line is what sacrebleu's ``smart_open`` gives (UTF-8, split at ``\\n`` only, ``.gz`` read
through gzip) with its trailing whitespace removed (``line.rstrip()``, as sacrebleu does for
references and systems). An empty line is a segment: an empty output, or an empty reference,
which sacrebleu scores as a reference of length 0. A leading byte-order mark is kept, as
sacrebleu keeps it: WMT17's online-A.0 starts with one, and the published mteval and tercom
numbers were computed on the text with it.
"""
from __future__ import annotations

import gzip
from pathlib import Path
from typing import Sequence

from harness.data.files import READABLE, check_text
from harness.errors import DataError
from harness.types import Example


def is_text_file(path: Path) -> bool:
    """Plain text, unless the name says it is one of the data formats (JSONL, TSV, CSV)."""
    return Path(path).suffix.lower() not in READABLE


def file_stem(path: Path) -> str:
    """A file's name without its last suffix (and ``.gz``): what names a system or data set
    by default (``newstest2021.de-en.ref.A.en`` → ``newstest2021.de-en.ref.A``)."""
    name = Path(path).name.removesuffix(".gz")
    return name.rsplit(".", 1)[0] if "." in name.strip(".") else name


def read_lines(path: Path) -> list[str]:
    """The segments of a plain text file, one a line, as sacrebleu reads them."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    lines = []
    try:
        with opener(path, "rb") as f:
            for line_no, raw in enumerate(f, 1):
                try:
                    text = raw.decode("utf-8").rstrip()
                except UnicodeDecodeError as err:
                    raise DataError(f"{path}:{line_no}: not UTF-8 (byte 0x{raw[err.start]:02x}); "
                                    f"save the file as UTF-8") from None
                check_text(text, f"{path}:{line_no}")
                lines.append(text)
    except (OSError, EOFError) as err:  # unreadable, or a truncated or false .gz
        raise DataError(f"{path}: cannot read: {getattr(err, 'strerror', None) or err}") from None
    return lines


def text_examples(references: Sequence[Path], reference_lines: Sequence[Sequence[str]],
                  sources: Sequence[str] | None = None) -> list[Example]:
    """One example per line, its id the line number (so an id names the line in every
    file); reference file k gives every example its k-th reference. The files' line counts
    are checked by the caller, which knows every file of the command."""
    first = Path(references[0])
    return [Example(id=str(i + 1), references=tuple(lines[i] for lines in reference_lines),
                    source=sources[i] if sources is not None else None,
                    origin=f"{first}:{i + 1}")
            for i in range(len(reference_lines[0]))]
