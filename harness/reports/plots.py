"""Figures for sweeps and the HTML report (matplotlib, drawn off-screen)."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Mapping, Sequence

from harness.errors import UsageError


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise UsageError("plots need matplotlib: pip install 'matplotlib>=3.7'") from None
    matplotlib.use("Agg")  # no display: sweeps run on training machines and in CI
    import matplotlib.pyplot as plt
    return plt


def curve_figure(title: str, steps: Sequence[int], scores: Sequence[float],
                 cis: Sequence[tuple[float, float] | None], best: int, higher_is_better: bool):
    """Score by training step, the 95% CIs as a band, the best checkpoint marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=100)
    ax.plot(steps, scores, marker="o", color="#1f77b4", label="score")
    if all(ci is not None for ci in cis):
        ax.fill_between(steps, [c[0] for c in cis], [c[1] for c in cis], alpha=0.25, color="#1f77b4",
                        label="95% CI")
    ax.scatter([steps[best]], [scores[best]], s=140, facecolors="none", edgecolors="#d62728", linewidths=2,
               zorder=3, label=f"best (step {steps[best]})")
    ax.set_xlabel("training step")
    ax.set_ylabel(title.split(" ")[-1] + ("" if higher_is_better else " (lower is better)"))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def save(fig, stem: Path) -> list[Path]:
    """The figure as PNG and SVG beside each other; returns both paths."""
    plt = _pyplot()
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    for path in paths:
        fig.savefig(path)
    plt.close(fig)
    return paths


def png_bytes(fig) -> bytes:
    plt = _pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def distribution_figure(title: str, per_model: Mapping[str, Sequence[float]]):
    """Per-example score distributions of several models on one task, as box plots."""
    plt = _pyplot()
    names = list(per_model)
    fig, ax = plt.subplots(figsize=(6.5, 0.5 + 0.45 * max(len(names), 2)), dpi=100)
    ax.boxplot([list(per_model[n]) for n in names], orientation="horizontal", showmeans=True)
    ax.set_yticks(range(1, len(names) + 1), [short(n) for n in names], fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig


def buckets_figure(title: str, panels: Mapping[str, Sequence[tuple[str, float, float, float, bool]]],
                   higher_is_better: bool):
    """Δ per bucket with its 95% CI, one panel per way of bucketing; a panel's buckets are
    (label, Δ, CI low, CI high, clear): dark where the CI clearly excludes 0, green where Δ is better."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.3 * len(panels), 3.4), dpi=100, squeeze=False)
    for ax, (by, buckets) in zip(axes[0], panels.items()):
        x = range(len(buckets))
        deltas = [b[1] for b in buckets]
        colors = [("#2a7d2a" if clear else "#a8d5a8") if (d > 0) == higher_is_better
                  else ("#b33a3a" if clear else "#f0b4b4") for _, d, _, _, clear in buckets]
        ax.bar(x, deltas, color=colors)
        ax.errorbar(x, deltas, yerr=[[d - lo for _, d, lo, _, _ in buckets], [hi - d for _, d, _, hi, _ in buckets]],
                    fmt="none", ecolor="#222", capsize=3)
        ax.axhline(0, color="#888", linewidth=0.8)
        ax.set_xticks(list(x), [b[0] for b in buckets], rotation=30, ha="right", fontsize=8)
        ax.set_title(by, fontsize=9)
        ax.grid(alpha=0.3, axis="y")
    axes[0][0].set_ylabel("Δ = system − baseline")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def short(text: str, width: int = 40) -> str:
    """A label cut to ``width`` characters, keeping its end (where file and checkpoint names are)."""
    return text if len(text) <= width else "…" + text[-(width - 1):]
