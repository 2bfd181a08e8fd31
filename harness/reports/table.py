"""The score table `harness run` prints."""
from __future__ import annotations

from typing import Any, Iterable, Mapping


def score_rows(records: Iterable[Mapping[str, Any]]) -> list[dict]:
    rows = []
    for rec in records:
        for task, metrics in rec["scores"].items():
            for metric, result in metrics.items():
                ci = result.get("ci95")
                rows.append({"task": task, "model": rec["model"]["spec"], "metric": metric,
                             "score": result["score"], "ci95": ci,
                             "n": rec["task"]["n_examples"], "signature": result["signature"]})
    return rows


def format_table(records: Iterable[Mapping[str, Any]], signatures: bool = True) -> str:
    rows = score_rows(records)
    if not rows:
        return "(no scores)"
    header = ["task", "model", "metric", "score", "95% CI", "n"]
    body = [[r["task"], r["model"], r["metric"], f"{r['score']:.2f}",
             f"[{r['ci95'][0]:.2f}, {r['ci95'][1]:.2f}]" if r["ci95"] else "-", str(r["n"])]
            for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]
    right = {3, 4, 5}

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [line(header), line(["-" * w for w in widths])] + [line(b) for b in body]
    if signatures:
        out.append("")
        seen = set()
        for r in rows:
            if r["signature"] not in seen:
                seen.add(r["signature"])
                out.append(f"  {r['signature']}")
    return "\n".join(out)


def throughput_line(record: Mapping[str, Any]) -> str:
    t = record["timings"]
    parts = [f"{record['task']['name']}: {record['task']['n_examples']} examples"]
    if t.get("examples_per_s"):
        parts.append(f"{t['examples_per_s']:.1f} ex/s")
    if t.get("generated_tokens_per_s"):
        parts.append(f"{t['generated_tokens_per_s']:.0f} tok/s")
    if t.get("padding_efficiency") is not None:
        parts.append(f"padding eff {t['padding_efficiency']:.2f}")
    if t.get("n_cached"):
        parts.append(f"{t['n_cached']} cached")
    parts.append(f"gen {t.get('generation_s', 0):.1f}s, scoring {t.get('scoring_s', 0):.1f}s")
    return " | ".join(parts)
