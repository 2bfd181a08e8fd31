"""ROUGE-1.5.5 mode vs the Perl script on every REALSumm document, with and without -m.

    python bench/rouge155_check.py          # 12 systems x 100 documents; ~2-3 minutes (the script's time)

For each system and stemming setting the script runs once (``-n 4 -w 1.2 -2 4 -U -c 95 -r
1000``, plus ``-m``) and its per-document recall, precision and F of ROUGE-1/2/3/4/L/W-1.2/
S4/SU4 and its printed averages and 95% intervals are compared with ``impl=rouge155``'s
(equal means equal to the 5 printed decimals). The REALSumm published scores (ROUGE-1, 2,
L; -m) and rouge-score's agreement with them are counted beside. Needs the shared data and
the oracle (scripts/rouge155-oracle.sh).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.metrics.base import Corpus  # noqa: E402
from harness.metrics.scoring import build_metric  # noqa: E402
from harness.testing import rouge155_oracle  # noqa: E402
from harness.testing.golden import summarization_published_rouge155  # noqa: E402

FLAGS = ["-n", "4", "-w", "1.2", "-2", "4", "-U", "-c", "95", "-r", "1000"]
SPECS = {"ROUGE-1": {"name": "rouge1", "impl": "rouge155"}, "ROUGE-2": {"name": "rouge2", "impl": "rouge155"},
         "ROUGE-3": {"name": "rouge3"}, "ROUGE-4": {"name": "rouge4"},
         "ROUGE-L": {"name": "rougeLsum", "impl": "rouge155"}, "ROUGE-W-1.2": {"name": "rougeW"},
         "ROUGE-S4": {"name": "rougeS4"}, "ROUGE-SU4": {"name": "rougeSU4"}}
PUBLISHED = {"rouge1": "rouge1", "rouge2": "rouge2", "rougeLsum": "rougeL_summary_level"}


def by_system(rows: list[dict]) -> dict[str, Corpus]:
    systems: dict[str, list] = {}
    for row in rows:
        systems.setdefault(row["system"], []).append(row)
    return {name: Corpus([r["prediction"] for r in rs], [[r["reference"]] for r in rs]) for name, rs in systems.items()}


def check(corpora: dict[str, Corpus], stem: bool) -> tuple[dict, dict, float, float]:
    """Per type: documents equal, systems whose printed average and interval are equal."""
    docs = {name: 0 for name in SPECS}
    printed = {name: 0 for name in SPECS}
    t_script = t_ours = 0.0
    for corpus in corpora.values():
        start = time.perf_counter()
        script = rouge155_oracle.run_script(corpus.predictions, corpus.references,
                                            FLAGS + (["-m"] if stem else []), keep=False)
        t_script += time.perf_counter() - start
        for name, spec in SPECS.items():
            start = time.perf_counter()
            metric = build_metric({**spec, "use_stemmer": stem})
            stats = metric.statistics(Corpus(corpus.predictions, corpus.references))
            boot = metric.details(stats)["script_bootstrap"]
            t_ours += time.perf_counter() - start
            docs[name] += int(np.sum(np.all(stats[:, [1, 2, 0]] == np.array(script[name].documents), axis=1)))
            printed[name] += [tuple(boot[k]) for k in "rpf"] == [script[name].printed[k] for k in "RPF"]
    return docs, printed, t_script, t_ours


def published_agreement(rows: list[dict]) -> dict[str, tuple[int, int]]:
    """(ours, rouge-score's) documents whose F equals the published one to 1e-5."""
    corpus = Corpus([r["prediction"] for r in rows], [[r["reference"]] for r in rows])
    out = {}
    for name, key in PUBLISHED.items():
        want = np.array([r["published_rouge155"][key]["f"] for r in rows])
        ours = build_metric({"name": name, "impl": "rouge155"}).statistics(corpus)[:, 0]
        theirs = build_metric({"name": name}).statistics(corpus)[:, 0]
        out[name] = (int(np.sum(np.abs(ours - want) <= 1e-5 + 1e-12)), int(np.sum(np.abs(theirs - want) <= 1e-5 + 1e-12)))
    return out


def main() -> None:
    rows = summarization_published_rouge155()
    if not rows or rouge155_oracle.oracle_script() is None:
        sys.exit("needs the shared REALSumm data and the oracle: " + rouge155_oracle.missing_reason())
    corpora = by_system(rows)
    n = sum(len(c) for c in corpora.values())
    print(f"REALSumm: {len(corpora)} systems, {n} documents")
    for stem in (True, False):
        docs, printed, t_script, t_ours = check(corpora, stem)
        print(f"\n{'-m' if stem else 'no -m'}: the script {t_script:.1f} s, impl=rouge155 {t_ours:.1f} s "
              f"(all 8 types, each with the script's bootstrap)")
        print(f"{'type':<12} {'documents equal':>16} {'systems: average and 95% CI equal':>36}")
        for name in SPECS:
            print(f"{name:<12} {docs[name]:>9}/{n:<6} {printed[name]:>29}/{len(corpora)}")
    print("\nREALSumm's published per-document F (ROUGE-1.5.5 -m), documents equal to 1e-5:")
    for name, (ours, theirs) in published_agreement(rows).items():
        print(f"  {name:<10} impl=rouge155 {ours}/{n}   rouge-score {theirs}/{n}")


if __name__ == "__main__":
    main()
