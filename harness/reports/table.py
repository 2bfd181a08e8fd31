"""The score table and throughput line `harness run` prints."""
from __future__ import annotations

from typing import Iterable

from harness.record import RunRecord


def score_rows(records: Iterable[RunRecord]) -> list[dict]:
    rows = []
    for rec in records:
        # a partial run scored fewer examples than it asked for; the table says so
        n = str(rec.n_scored) if rec.status == "complete" else f"{rec.n_scored}/{rec.task.n_examples}"
        for name, entry in rec.scores.items():
            rows.append({"task": rec.task.name, "model": rec.model.label,
                         "metric": name if entry.higher_is_better else f"{name} ↓",
                         "score": entry.score, "ci95": entry.ci95, "n": n,
                         "signature": entry.signature})
    return rows


def format_table(records: Iterable[RunRecord], signatures: bool = True) -> str:
    rows = score_rows(records)
    if not rows:
        return "(no scores)"
    header = ["task", "model", "metric", "score", "95% CI", "n"]
    body = [[r["task"], r["model"], r["metric"], f"{r['score']:.2f}",
             f"[{r['ci95'][0]:.2f}, {r['ci95'][1]:.2f}]" if r["ci95"] else "-", r["n"]]
            for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]
    right = {3, 4, 5}

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [line(header), line(["-" * w for w in widths])] + [line(b) for b in body]
    if any(r["metric"].endswith("↓") for r in rows):
        out.append("(↓ lower is better)")
    if signatures:
        out.append("")
        seen = set()
        for r in rows:
            if r["signature"] not in seen:
                seen.add(r["signature"])
                out.append(f"  {r['signature']}")
    return "\n".join(out)


def reported_lines(records: Iterable[RunRecord]) -> list[str]:
    """For outputs another harness wrote (a predictions file of lm-eval, lighteval or
    inspect_ai), the numbers that tool reported, beside ours where the metric's name is the
    same (the signatures say whether the settings are)."""
    lines = []
    for rec in records:
        reported = rec.model.runtime.get("reported")
        if reported:
            ours = {name: score.score for name, score in rec.scores.items()}
            parts = [f"{name} {value:.2f}" + (f" (here {ours[name]:.2f})" if name in ours else "")
                     for name, value in reported.items()]
            lines.append(f"{rec.task.name}: {rec.model.runtime['format']} reported {', '.join(parts)}")
    return lines


def throughput_line(record: RunRecord) -> str:
    """One line per task: rates only where the model generated tokens (a predictions file
    or a baseline has none, and its examples/s would time Python, not a model)."""
    t, rate, engine = record.timings, record.throughput, record.engine
    parts = [f"{record.task.name}: {record.task.n_examples} examples"]
    if record.n_errors:
        parts.append(f"{record.n_errors} failed")
    if rate.generated_tokens and rate.examples_per_s:
        parts.append(f"{rate.examples_per_s:.1f} ex/s")
    if rate.generated_tokens and rate.generated_tokens_per_s:
        parts.append(f"{rate.generated_tokens_per_s:.0f} tok/s")
    if rate.padding_efficiency is not None:
        parts.append(f"padding eff {rate.padding_efficiency:.2f}")
    if engine.n_cached:
        parts.append(f"{engine.n_cached} cached")
    phases = [f"load {t.load_s:.1f}s"] if t.load_s >= 0.05 else []
    phases += [f"gen {t.generate_s:.1f}s", f"scoring {t.score_s:.1f}s"]
    parts.append(", ".join(phases))
    return " | ".join(parts)
