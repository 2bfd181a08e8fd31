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
    ax.set_yticks(range(1, len(names) + 1), [_short(n) for n in names], fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1):]
