"""Loaders for the evaluation data with golden scores.

Each ``*_cases()`` function returns a list of records pairing real system outputs with the
golden numbers computed by the reference implementations (see each folder's README).
``origin="shared"`` (the default) reads the full data (``<repo>/../shared/data`` or
``$HARNESS_SHARED_DATA``) and gives an empty list when it is absent, so tests can skip cleanly;
``origin="shipped"`` reads the subset shipped in ``tests/data/conformance`` (same layout, fewer
rows), present on every clone.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from harness.metrics.base import Corpus
from harness.testing import golden_root

TRANSLATION_DATASETS = ("wmt21_newstest2021_de-en", "wmt17_newstest2017_en-de")
CAPTIONING_DATASETS = ("coco_fakecap", "magic_flickr30k", "magic_mscoco")
SUMMARIZATION_DATASET = "realsumm_cnndm100"


def load_jsonl(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_json(path: str | Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


@dataclass(frozen=True)
class GoldenCase:
    """One system's outputs on one data set with the golden scores for them."""

    dataset: str
    system: str
    ids: tuple[str, ...]
    predictions: tuple[str, ...]
    references: tuple[tuple[str, ...], ...]
    expected: Mapping[str, Any]  # this system's golden numbers (layout as in expected.json)
    refset: str = ""  # translation: "ref-A", "ref-B", "ref-all" or "ref"
    signatures: Mapping[str, str] = field(default_factory=dict)  # sacrebleu signatures, translation only
    origin: str = "shared"  # "shared" (the full data) or "shipped" (the subset in tests/data/conformance)

    @property
    def name(self) -> str:
        return f"{self.origin}:" + "/".join(p for p in (self.dataset, self.system, self.refset) if p)

    def corpus(self):
        return Corpus(list(self.predictions), [list(r) for r in self.references], list(self.ids))


def _folder(kind: str, dataset: str, origin: str = "shared") -> Path | None:
    root = golden_root(origin)
    path = root / kind / dataset if root else None
    return path if path and path.is_dir() else None


@lru_cache(maxsize=None)
def _system_predictions(path: Path) -> dict[str, str]:
    return {str(r["id"]): r["prediction"] for r in load_jsonl(path)}


def golden_translation_cases(dataset: str | None = None, origin: str = "shared") -> list[GoldenCase]:
    """Every (system, reference set) of the WMT data; ``expected`` maps metric → {"score", ...}."""
    cases = []
    for name in [dataset] if dataset else TRANSLATION_DATASETS:
        folder = _folder("translation", name, origin)
        if folder is None:
            continue
        test = load_jsonl(folder / "test.jsonl")
        golden = load_json(folder / "expected.json")
        ids = tuple(str(r["id"]) for r in test)
        width = len(test[0]["references"])
        refsets = {"ref": None} if width == 1 else {"ref-A": [0], "ref-B": [1], "ref-all": None}
        for system, per_refset in sorted(golden["systems"].items()):
            preds = _system_predictions(folder / "systems" / f"{system}.jsonl")
            for refset, keep in refsets.items():
                refs = tuple(tuple(r["references"][j] for j in (keep or range(width))) for r in test)
                expected = per_refset if width == 1 else per_refset[refset]
                cases.append(GoldenCase(name, system, ids, tuple(preds[i] for i in ids), refs, expected,
                                        refset, golden["signatures"][refset], origin))
    return cases


def wmt_cases() -> list[GoldenCase]:
    """WMT systems: WMT21 de-en against both its references (the shared data), else the shipped
    WMT17 subset (150 segments, one reference, four systems), so a check that needs real
    systems runs on every clone and deepens where the shared data is."""
    return [c for c in golden_translation_cases("wmt21_newstest2021_de-en") if c.refset == "ref-all"] \
        or golden_translation_cases("wmt17_newstest2017_en-de", origin="shipped")


def multi_reference_cases() -> list[GoldenCase]:
    """Real multi-reference data for the translation metrics: WMT21 de-en's two references
    (the shared data), else the shipped COCO captions (5 or 6 references each, sacrebleu's
    nrefs:var) with sacrebleu's goldens, stored beside the captioning ones."""
    return [c for c in golden_translation_cases("wmt21_newstest2021_de-en") if c.refset == "ref-all"] \
        or [replace(c, expected=c.expected["sacrebleu"]["scores"], signatures=c.expected["sacrebleu"]["signatures"])
            for c in golden_captioning_cases("coco_fakecap", origin="shipped")]


def golden_summarization_cases(origin: str = "shared") -> list[GoldenCase]:
    """REALSumm systems, each against its own ``reference`` copy; ``expected`` is expected.json's
    entry for the system (``vs_own_reference_stemmed`` holds the 0-1 mean P/R/F per ROUGE type)."""
    folder = _folder("summarization", SUMMARIZATION_DATASET, origin)
    if folder is None:
        return []
    golden = load_json(folder / "expected.json")["systems"]
    cases = []
    for system in sorted(golden):
        rows = load_jsonl(folder / "systems" / f"{system}.jsonl")
        cases.append(GoldenCase(SUMMARIZATION_DATASET, system, tuple(str(r["id"]) for r in rows),
                                tuple(r["prediction"] for r in rows), tuple((r["reference"],) for r in rows),
                                golden[system], origin=origin))
    return cases


def summarization_canonical_references(origin: str = "shared") -> dict[str, str]:
    """REALSumm's canonical reference per document id (``test.jsonl``); empty when absent."""
    folder = _folder("summarization", SUMMARIZATION_DATASET, origin)
    if folder is None:
        return {}
    return {str(r["id"]): r["references"][0] for r in load_jsonl(folder / "test.jsonl")}


def golden_captioning_cases(dataset: str | None = None, origin: str = "shared") -> list[GoldenCase]:
    """Each system over the images it covers, in its file's order (as the golden script scored it);
    ``expected`` has Bleu_1..4, METEOR, ROUGE_L, CIDEr (0-1 / 0-10), bleu_stats, per_image."""
    cases = []
    for name in [dataset] if dataset else CAPTIONING_DATASETS:
        folder = _folder("captioning", name, origin)
        if folder is None:
            continue
        refs = {str(r["id"]): tuple(r["references"]) for r in load_jsonl(folder / "test.jsonl")}
        golden = load_json(folder / "expected.json")["systems"]
        for system in sorted(golden):
            rows = load_jsonl(folder / "systems" / f"{system}.jsonl")
            ids = tuple(str(r["id"]) for r in rows)
            cases.append(GoldenCase(name, system, ids, tuple(r["prediction"] for r in rows),
                                    tuple(refs[i] for i in ids), golden[system], origin=origin))
    return cases


def captioning_references(dataset: str, origin: str = "shared") -> dict[str, tuple[str, ...]]:
    """All reference captions of a captioning data set by image id (empty when absent)."""
    folder = _folder("captioning", dataset, origin)
    if folder is None:
        return {}
    return {str(r["id"]): tuple(r["references"]) for r in load_jsonl(folder / "test.jsonl")}


def vectors_folder(name: str, origin: str = "shared") -> Path | None:
    """``rouge_score_vs_rouge155`` or ``nlgeval_examples`` (None when absent)."""
    return _folder("test_vectors", name, origin)


def vectors_folders(name: str) -> list[tuple[str, Path]]:
    """(origin, folder): the shipped copy of a vector set, and the shared one where present."""
    return [(o, f) for o in ("shipped", "shared") if (f := vectors_folder(name, o)) is not None]


def shipped_ptb_jar_output() -> dict:
    """The Stanford jar's tokens for the shipped COCO subset (``ptb_jar.json``, written by
    scripts/make_conformance_subset.py): ``references`` and ``predictions`` in file order."""
    return load_json(_folder("captioning", "coco_fakecap", "shipped") / "ptb_jar.json")


def sacrebleu_paired(baseline: GoldenCase, systems: list[GoldenCase], kind: str) -> dict[str, dict]:
    """sacrebleu's own paired tests, as ``sacrebleu -t ... --paired-{kind}`` prints them (seed
    12345; 1,000 resamples for ``bs``, 10,000 trials for ``ar``): system -> {"p": [BLEU p,
    chrF p], "ci": [BLEU mean, ±, chrF mean, ±]} (bs only), rounded as printed. The shared
    data stores this output for WMT21; on other data the tests ask sacrebleu itself."""
    from sacrebleu.metrics import BLEU, CHRF
    from sacrebleu.significance import PairedTest
    width = max(len(r) for r in baseline.references)
    streams = [[r[j] if j < len(r) else None for r in baseline.references] for j in range(width)]
    named = [(c.system, list(c.predictions)) for c in (baseline, *systems)]
    test = PairedTest(named, {"BLEU": BLEU(references=streams), "chrF": CHRF(references=streams)},
                      references=None, test_type=kind)
    _, scores = test()
    table = {}
    for row, system in enumerate(scores["System"][1:], 1):
        results = [scores[metric][row] for metric in scores if metric != "System"]
        table[system] = {"p": [round(float(r.p_value), 4) for r in results],
                         "ci": [round(float(x), 1) for r in results for x in (r.mean, r.ci)]
                         if kind == "bs" else None}
    return table


def summarization_published_rouge155(origin: str = "shared") -> list[dict]:
    """Every REALSumm row with REALSumm's published per-document ROUGE-1.5.5 scores
    (``published_rouge155``: rouge1, rouge2, rougeL_summary_level -> {"p", "r", "f"}) and its
    ``system``, systems in name order; empty where the data (or, in the shipped subset, the
    published scores) is absent."""
    folder = _folder("summarization", SUMMARIZATION_DATASET, origin)
    if folder is None:
        return []
    rows = [{**r, "system": path.stem} for path in sorted((folder / "systems").glob("*.jsonl"))
            for r in load_jsonl(path)]
    return [r for r in rows if "published_rouge155" in r]


def wmt_with_sources(n: int) -> tuple[list[str], list[str], list[list[str]]]:
    """(sources, predictions, references) of the first ``n`` segments of real WMT text, for
    the metrics that read sources: WMT21 de-en (Facebook-AI's outputs, two references) from
    the shared data, else the shipped WMT17 en-de subset, whose snapshot has no English
    sources: another system's output stands in for them there (a check of a learned metric
    against its reference implementation does not depend on what the texts mean)."""
    folder = _folder("translation", "wmt21_newstest2021_de-en")
    if folder is not None:
        test = load_jsonl(folder / "test.jsonl")[:n]
        system = _system_predictions(folder / "systems" / "Facebook-AI.jsonl")
        return ([r["source"] for r in test], [system[str(r["id"])] for r in test],
                [list(r["references"]) for r in test])
    case, other = golden_translation_cases("wmt17_newstest2017_en-de", origin="shipped")[:2]
    return list(other.predictions[:n]), list(case.predictions[:n]), [list(r) for r in case.references[:n]]
