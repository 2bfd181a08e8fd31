"""How ``harness compare`` prints: one row per task x metric x system, then what the tests were."""
from __future__ import annotations

from harness.reports.checks import check_lines, left_out_json, left_out_lines, marks, partial_lines
from harness.reports.compare import CompareResult
from harness.reports.render import dump_json, render

HEADER = ["task", "metric", "system", "baseline", "system score", "Δ", "Δ 95% CI", "p (bootstrap)",
          "p (rand.)", "verdict"]
RIGHT = {3, 4, 5, 6, 7, 8}


def _p(value: float) -> str:
    return f"{value:.4f}"


def rows(result: CompareResult) -> list[list[str]]:
    alpha = result.settings.alpha
    out = []
    for c in result.comparisons:
        verdict = c.verdict(alpha)
        check_a, check_b = c.checks or (None, None)
        out.append([c.task, c.metric if c.higher_is_better else f"{c.metric} ↓", c.system,
                    f"{c.baseline_score:.2f}{marks(check_a)}", f"{c.system_score:.2f}{marks(check_b)}",
                    f"{c.delta:+.2f}",
                    f"[{c.delta_ci95[0]:+.2f}, {c.delta_ci95[1]:+.2f}]", _p(c.p_bootstrap),
                    _p(c.p_randomization),
                    (verdict + "*" if verdict != "n.s." else verdict) + ("°" if c.randomization_disagrees(alpha) else "")
                    + (" (forced)" if c.forced else "")])
    return out


def notes(result: CompareResult) -> list[str]:
    s, comps = result.settings, result.comparisons
    n_tests = comps[0].n_tests if comps else 0
    correction = ("none: p-values are raw, as sacrebleu prints them" if s.correction == "none"
                  else f"{s.correction} over the {n_tests} tests of each p-value column")
    out = [f"baseline: {result.baseline}; Δ = system - baseline, Δ 95% CI from the paired bootstrap",
           f"p (bootstrap): paired bootstrap, {s.n_bootstrap} resamples; p (rand.): paired approximate "
           f"randomization, {s.n_randomization} trials; seed {s.seed}",
           f"{n_tests} tests; correction: {correction}",
           s.rule.text(),
           "verdict: better*/worse* where the rule holds, in the metric's direction (↓: lower is better); "
           "p (rand.) is shown beside it and does not decide"]
    split = [c for c in comps if c.randomization_disagrees(s.alpha)]
    if split:
        out.append(f"°: approximate randomization puts {len(split)} of {len(comps)} rows on the other side of "
                   f"{s.alpha}; read those differences as borderline")
    if any(c.delta == 0 for c in comps):
        out.append("Δ = 0 reads n.s.: sacrebleu's p-value rule counts null statistics strictly above the "
                   "observed one, so identical scores get its smallest p, 1/(trials + 1)")
    out += detectable_lines(comps, s.alpha)
    for c in comps:
        if c.forced:
            out.append(f"forced (--force): {c.task} {c.metric} {c.system}: {c.forced}")
    signatures = dict.fromkeys(c.signature for c in comps)
    out += ["signatures:"] + [f"  {sig}" for sig in signatures]
    out += check_lines([(run, check) for c in comps for run, check in zip(c.runs, c.checks)])
    return out + partial_lines(result.partial) + left_out_lines(result.left_out)


def detectable_lines(comps, alpha: float) -> list[str]:
    """What the test set could have found, where it found nothing: a n.s. is no evidence of no
    difference when the test set cannot see one of that size."""
    quiet = [c for c in comps if c.verdict(alpha) == "n.s." and c.detectable is not None]
    if not quiet:
        return []
    out = [f"n.s. rows: this test set detects, with 80% power at α {alpha}, Δ of at least (harness power):"]
    return out + [f"  {c.task} {c.metric} {c.system}: Δ ≥ {c.detectable:.2f} {c.metric} "
                  f"(here Δ = {c.delta:+.2f}, {c.n:,} examples)" for c in quiet]


def examples_text(result: CompareResult) -> list[str]:
    out = []
    for c in result.comparisons:
        if not c.examples:
            continue
        out.append(f"\n{c.task} {c.metric}: {c.system} vs {c.baseline}, the {len(c.examples)} examples that moved most")
        for ex in c.examples:
            out += example_lines(ex)
    return out


def example_lines(ex: dict) -> list[str]:
    """One example of ``compare.example_rows`` as text: scores, source, predictions, references."""
    out = [f"  [{ex['id']}] {ex['baseline_score']:.2f} -> {ex['system_score']:.2f} ({ex['delta']:+.2f})"]
    if ex["source"] is not None:  # predictions scored without sources have none
        out.append(f"    source:    {ex['source']}")
    out += [f"    baseline:  {ex['baseline_prediction']}", f"    system:    {ex['system_prediction']}"]
    return out + [f"    reference: {ref}" for ref in ex["references"]]


def with_examples(text: str, examples: list[str], fmt: str) -> str:
    """The table, then the examples; in Markdown as a literal block, so predictions are shown,
    never rendered; LaTeX and CSV keep the table alone."""
    if not examples or fmt in ("latex", "csv"):
        return text
    return text + ("\n" + "\n".join(examples) if fmt == "text" else "\n\n```text" + "\n".join(examples) + "\n```")


def format_compare(result: CompareResult, fmt: str = "text") -> str:
    if fmt == "json":
        s = result.settings
        return dump_json({"baseline": result.baseline,
                          "settings": {"n_bootstrap": s.n_bootstrap, "n_randomization": s.n_randomization,
                                       "seed": s.seed, "correction": s.correction, "alpha": s.alpha,
                                       "force": s.force, "include_partial": s.include_partial},
                          "significance": s.rule.to_json(),
                          "comparisons": [c.to_dict(s.alpha) for c in result.comparisons],
                          "partial": [{"run": str(f), "detail": d} for f, d in result.partial],
                          "left_out": left_out_json(result.left_out)})
    body = rows(result)
    if fmt == "csv":
        header = ["task", "metric", "system", "baseline", "baseline_score", "system_score", "delta",
                  "delta_ci95_lo", "delta_ci95_hi", "p_bootstrap", "p_randomization", "n", "n_tests",
                  "correction", "higher_is_better", "verdict", "forced", "signature", "baseline_check",
                  "system_check"]
        data = [[c.task, c.metric, c.system, c.baseline, c.baseline_score, c.system_score, c.delta,
                 c.delta_ci95[0], c.delta_ci95[1], c.p_bootstrap, c.p_randomization, c.n, c.n_tests,
                 result.settings.correction, c.higher_is_better, c.verdict(result.settings.alpha),
                 c.forced or "", c.signature, *(x.state for x in c.checks)] for c in result.comparisons]
        return render("csv", header, data)
    text = render(fmt, HEADER, body, RIGHT, notes(result),
                  caption=f"Systems against {result.baseline}")
    return with_examples(text, examples_text(result), fmt)
