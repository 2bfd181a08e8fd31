"""How ``harness compare --segments`` prints: per task and system, one table of buckets, then the
n-grams each side matches more often and the examples that moved most each way."""
from __future__ import annotations

from pathlib import Path

from harness.reports import runs as R
from harness.reports.checks import left_out_json, left_out_lines
from harness.reports.compare_format import example_lines, with_examples
from harness.reports.ngram_diff import NgramCount
from harness.reports.plots import buckets_figure, save, short
from harness.reports.render import dump_json, render
from harness.reports.segments import MIN_CLEAR, Bucket, PairView, SegmentsResult

HEADER = ["metric", "by", "bucket", "n", "baseline", "system", "Δ", "Δ 95% CI"]
RIGHT = {3, 4, 5, 6, 7}


def _row(metric: str, by: str, bucket: Bucket) -> list[str]:
    ci = f"[{bucket.ci95[0]:+.2f}, {bucket.ci95[1]:+.2f}]" if bucket.ci95 else "-"
    return [metric, by, bucket.label, str(len(bucket.ids)), f"{bucket.baseline:.2f}", f"{bucket.system:.2f}",
            f"{bucket.delta:+.2f}" + ("*" if bucket.clear else ""), ci]


def rows(view: PairView) -> list[list[str]]:
    out = []
    for m in view.metrics:
        name = m.metric if m.higher_is_better else f"{m.metric} ↓"
        out.append(_row(name, "all", m.overall))
        out += [_row(name, by, b) for by, buckets in m.bucketings.items() for b in buckets]
    return out


def notes(view: PairView, result: SegmentsResult) -> list[str]:
    s = result.settings
    out = [f"baseline: {view.baseline} ({view.runs[0]})", f"system: {view.system} ({view.runs[1]})",
           f"Δ = system - baseline on {len(view.ids)} shared examples; each bucket's scores are the metric over "
           f"its examples; Δ 95% CI: paired bootstrap of the bucket ({s.n_bootstrap} resamples, seed {s.seed})",
           f"*: the bucket's CI excludes 0 (buckets of {MIN_CLEAR} examples or more); buckets are many tests, "
           "uncorrected: read them as where to look",
           f"buckets: up to {s.buckets} of about equal size; lengths in tokens (words, punctuation marks, "
           f"CJK/Thai characters), several references averaged",
           "by the baseline's per-example score: its low buckets tend to rise and its high ones to fall "
           "for any second system (regression to the mean); compare buckets with each other, not with 0"]
    if view.forced:
        out.append(f"forced (--force): {view.forced}")
    return out + ["signatures:"] + [f"  {m.signature}" for m in view.metrics]


def _ngrams(title: str, counts: tuple[NgramCount, ...]) -> list[str]:
    listed = ", ".join(f"'{c.ngram}' {c.baseline}/{c.system}" for c in counts) or "none"
    return [f"{title}: {listed}"]


def details(view: PairView) -> list[str]:
    out = ["", "reference n-grams (1-4) matched more often, with their matches baseline/system:"]
    out += _ngrams("  by the system", view.ngrams.system_more)
    out += _ngrams("  by the baseline", view.ngrams.baseline_more)
    for m in view.metrics:
        for title, examples in (("improves", m.gains), ("worsens", m.losses)):
            if examples:
                many = "s" if len(examples) > 1 else ""
                out.append(f"\n{view.task} {m.metric}: the example{many} the system {title} most")
                out += [line for ex in examples for line in example_lines(ex)]
    return out


def write_plots(result: SegmentsResult, folder: Path) -> list[Path]:
    """One figure per task, system and metric (PNG and SVG): Δ per bucket with its CI."""
    out = []
    for view in result.views:
        for m in view.metrics:
            panels = {by: [(b.label, b.delta, *(b.ci95 or (b.delta, b.delta)), b.clear) for b in buckets]
                      for by, buckets in m.bucketings.items()}
            title = f"{view.task} {m.metric}: {short(view.system)} against {short(view.baseline)}"
            stem = folder / R.safe_name(f"{view.task}_{m.metric}_{view.system}_vs_{view.baseline}")
            out += save(buckets_figure(title, panels, m.higher_is_better), stem)
    return out


def format_segments(result: SegmentsResult, fmt: str = "text") -> str:
    s = result.settings
    if fmt == "json":
        return dump_json({"settings": {"n_bootstrap": s.n_bootstrap, "seed": s.seed, "buckets": s.buckets,
                                       "ngrams": s.ngrams, "examples": s.examples, "force": s.force,
                                       "include_partial": s.include_partial},
                          "views": [v.to_dict() for v in result.views],
                          "left_out": left_out_json(result.left_out)})
    if fmt == "csv":  # one table for every view, each row naming its task and systems
        header = ["task", "system", "baseline", "metric", "by", "bucket", "n", "baseline_score", "system_score",
                  "delta", "delta_ci95"]
        return render("csv", header,
                      [[v.task, v.system, v.baseline, *r] for v in result.views for r in rows(v)])
    parts = []
    for view in result.views:
        title = f"{view.task}: {view.system} against {view.baseline}"
        table = render(fmt, HEADER, rows(view), RIGHT, notes(view, result), caption=title)
        heading = {"text": title, "md": f"### {title}", "latex": f"% {title}"}[fmt]
        parts.append(with_examples(heading + "\n\n" + table, details(view), fmt))
    tail = left_out_lines(result.left_out)
    return "\n\n".join(parts) + ("\n\n" + "\n".join(tail) if tail else "")
