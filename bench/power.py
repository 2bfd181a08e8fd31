"""``harness power``'s detectable Δ against a direct simulation, on WMT21 de-en (shared data).

For a few pairs of submitted systems and metrics it prints the detectable Δ that ``harness
power`` prints (the rule's one-sided z) and the textbook two-sided one, and at each the power
found by simulation (harness/testing/power_simulation.py: 400 fresh test sets of 1,000
segments drawn from the real ones, B shifted so its true Δ is that value, each tested with the
rule's own 1,000-resample paired bootstrap). Then the n-for-Δ assumption, SE ∝ 1/√n: the SE of
Δ on random halves of the test set against the whole; and how the resampled BLEU of the 171
pairs of the 19 systems correlate (what ``--correlation`` stands for with one run).

    python bench/power.py
"""
from __future__ import annotations

import itertools
import math
import sys
import tempfile
import time
from pathlib import Path
from statistics import NormalDist

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.record.store import load_runs  # noqa: E402
from harness.reports.power import PowerSettings, power_paths  # noqa: E402
from harness.reports.significance import resample_all  # noqa: E402
from harness.run import RunOptions, evaluate  # noqa: E402
from harness.testing import shared_data  # noqa: E402
from harness.testing.power_simulation import simulated_power  # noqa: E402

PAIRS = [("UEdin", "VolcTrans-AT", "bleu"), ("UEdin", "VolcTrans-AT", "chrf"), ("Online-A", "Online-W", "bleu")]
TASK = "name: wmt21-de-en\nversion: 1\nfamily: translation\nsource: {{path: {data}}}\nmetrics: [bleu, chrf]\n"


def main() -> None:
    folder = shared_data() / "translation" / "wmt21_newstest2021_de-en" if shared_data() else None
    if folder is None or not folder.is_dir():
        sys.exit("bench/power.py needs the shared WMT21 de-en data (../shared/data or $HARNESS_SHARED_DATA)")
    root = Path(tempfile.mkdtemp(prefix="power-bench-"))
    (root / "task.yaml").write_text(TASK.format(data=folder / "test.jsonl"))
    for system in sorted(p.stem for p in (folder / "systems").glob("*.jsonl")):
        evaluate(f"predictions:{folder / 'systems' / f'{system}.jsonl'}", [str(root / "task.yaml")],
                 RunOptions(output=root / "results", n_bootstrap=0, allow_outside_paths=True))
    runs = {r.model.label.rsplit("/", 1)[-1].removesuffix(".jsonl"): r for r in load_runs(root / "results")}
    two_sided = NormalDist().inv_cdf(0.975) + NormalDist().inv_cdf(0.8)
    for base, system, metric in PAIRS:
        [row] = power_paths([runs[base].folder, runs[system].folder], PowerSettings(metrics=(metric,)))
        a, b = runs[base], runs[system]
        scorer = a.score(metric).metric()
        for name, delta in (("harness power", row.detectable), ("two-sided z", two_sided * row.se)):
            start = time.perf_counter()
            power, se = simulated_power(scorer, a.stats(metric), b.stats(metric), delta)
            print(f"{system} vs {base} {metric}: SE of Δ {row.se:.3f}, {name} Δ = {delta:.3f}: simulated power "
                  f"{power:.3f} ± {se:.3f} (400 test sets, {time.perf_counter() - start:.0f} s)", flush=True)
    halves(runs)
    names = sorted(runs)
    resampled = resample_all(runs[names[0]].score("bleu").metric(), [runs[n].stats("bleu") for n in names], 1000, 12345)
    rho = [np.corrcoef(resampled[i], resampled[j])[0, 1] for i, j in itertools.combinations(range(len(names)), 2)]
    print(f"resampled BLEU correlation over the {len(rho)} pairs of {len(names)} systems: min {min(rho):.2f}, "
          f"median {np.median(rho):.2f}, max {max(rho):.2f}")



def halves(runs: dict) -> None:
    """SE of Δ on 500 of the 1,000 segments (10 random halves) against √2 x the whole's."""
    for base, system, metric in PAIRS:
        a, b = runs[base], runs[system]
        scorer, stats_a, stats_b = a.score(metric).metric(), a.stats(metric), b.stats(metric)
        whole = np.std(np.subtract(*resample_all(scorer, [stats_b, stats_a], 1000, 12345)), ddof=1)
        rng = np.random.default_rng(0)
        half = [np.std(np.subtract(*resample_all(scorer, [stats_b[rows], stats_a[rows]], 1000, 12345)), ddof=1)
                for rows in (rng.permutation(len(stats_a))[:len(stats_a) // 2] for _ in range(10))]
        print(f"{system} vs {base} {metric}: SE of Δ on 500 segments {np.mean(half):.3f} (10 halves, sd "
              f"{np.std(half, ddof=1):.3f}); √2 x SE on 1,000: {math.sqrt(2) * whole:.3f}")


if __name__ == "__main__":
    main()
