"""Build ``tests/data/conformance/``: a small, redistributable subset of the shared evaluation
data with golden values recomputed by the reference implementations themselves.

    python scripts/make_conformance_subset.py [--shared ../shared/data]

Needs sacrebleu, rouge-score and pycocoevalcap (and Java for pycocoevalcap's PTB tokenizer and
METEOR; without it the captioning goldens are not written, since they would not be the
reference pipeline). The harness is not imported: the goldens must not come from the code
they check. The folders keep the shared data's layout, so the same loaders read both.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "tests" / "data" / "conformance"

# WMT17 en-de, as shipped in sacrebleu's Apache-2.0 test suite. online-A.0 keeps the U+FEFF of its
# first segment; PROMT is rule-based, so its n-gram profile differs from the neural systems.
WMT17 = "wmt17_newstest2017_en-de"
WMT17_SYSTEMS = ("FBK.4870", "online-A.0", "PROMT-Rule-based.4735", "uedin-nmt.4722")
WMT17_SEGMENTS = 150
# REALSumm (CC BY 4.0): four systems whose own reference copies differ in case and splitting
REALSUMM = "realsumm_cnndm100"
REALSUMM_SYSTEMS = ("fast_abs_rl_out_rerank", "ptr_generator_out_pointer_gen_cov", "t5_out_large",
                    "unilm_out_v2")
REALSUMM_DOCS = 20
# COCO fakecap (coco-caption BSD-2, COCO captions CC BY 4.0): the first images in file order, and
# every image with a sixth reference, so unequal reference counts (sacrebleu's nrefs:var) are real
FAKECAP = "coco_fakecap"
FAKECAP_IMAGES = 100
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def write_json(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def versions() -> dict:
    from importlib.metadata import version
    java = None
    if shutil.which("java"):
        java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    return {"sacrebleu": version("sacrebleu"), "rouge-score": version("rouge-score"),
            "nltk": version("nltk"), "pycocoevalcap": version("pycocoevalcap"), "java": java}


def sacrebleu_metrics() -> dict:
    from sacrebleu.metrics import BLEU, CHRF, TER
    return {"bleu": BLEU(), "chrf": CHRF(), "chrf_eps": CHRF(eps_smoothing=True),
            "chrf++": CHRF(word_order=2), "chrf++_eps": CHRF(word_order=2, eps_smoothing=True), "ter": TER()}


def translation_golden(preds: list[str], streams: list[list[str | None]]) -> tuple[dict, dict]:
    """sacrebleu's corpus scores, BLEU statistics and signatures; BLEU/chrF also with
    ``--confidence`` (1000 resamples, sacrebleu's default seed 12345). ``streams``: one list per
    reference position, ``None`` where an example has fewer references (sacrebleu's nrefs:var)."""
    out, signatures = {}, {}
    for key, metric in sacrebleu_metrics().items():
        result = metric.corpus_score(preds, streams)
        out[key] = {"score": result.score}
        signatures[key] = metric.get_signature().format()
        if key == "bleu":
            out[key].update(counts=result.counts, totals=result.totals, sys_len=result.sys_len,
                            ref_len=result.ref_len)
        if key in ("bleu", "chrf"):
            fresh = {"bleu": sacrebleu_metrics()["bleu"], "chrf": sacrebleu_metrics()["chrf"]}[key]
            ci = fresh.corpus_score(preds, streams, n_bootstrap=1000)
            out[key]["confidence"] = {"mean": float(ci._mean), "half_width": float(ci._ci),
                                      "signature": fresh.get_signature().format()}
    return out, signatures


def build_translation(shared: Path, tools: dict) -> None:
    src, dst = shared / "translation" / WMT17, OUT / "translation" / WMT17
    test = read_jsonl(src / "test.jsonl")[:WMT17_SEGMENTS]
    ids = [r["id"] for r in test]
    write_jsonl(dst / "test.jsonl", [{"id": r["id"], "references": r["references"]} for r in test])
    systems, signatures = {}, {}
    for system in WMT17_SYSTEMS:
        preds = {r["id"]: r["prediction"] for r in read_jsonl(src / "systems" / f"{system}.jsonl")}
        write_jsonl(dst / "systems" / f"{system}.jsonl", [{"id": i, "prediction": preds[i]} for i in ids])
        systems[system], signatures = translation_golden([preds[i] for i in ids],
                                                         [[r["references"][0] for r in test]])
    write_json(dst / "expected.json", {
        "generated_by": "scripts/make_conformance_subset.py (sacrebleu corpus_score)",
        "tool_versions": tools, "subset_of": f"shared/data/translation/{WMT17}: first {len(ids)} segments",
        "signatures": {"ref": signatures}, "systems": systems})


def rouge_means(pairs: list[tuple[str, str]], use_stemmer: bool) -> tuple[dict, list[dict]]:
    from rouge_score import rouge_scorer
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=use_stemmer)
    scores = [scorer.score(ref, pred) for pred, ref in pairs]
    means = {t: {k: sum(getattr(s[t], name) for s in scores) / len(scores)
                 for k, name in (("p", "precision"), ("r", "recall"), ("f", "fmeasure"))} for t in ROUGE_TYPES}
    return means, [{t: s[t].fmeasure for t in ROUGE_TYPES} for s in scores]


def summarization_golden(rows: list[dict], canonical: dict) -> dict:
    own = [(r["prediction"], r["reference"]) for r in rows]
    stemmed, per_doc = rouge_means(own, True)
    flat, _ = rouge_means([(p.replace("\n", " "), r.replace("\n", " ")) for p, r in own], True)
    return {"vs_own_reference_stemmed": stemmed,
            "vs_own_reference_unstemmed": rouge_means(own, False)[0],
            "vs_canonical_reference_stemmed": rouge_means([(r["prediction"], canonical[r["id"]])
                                                           for r in rows], True)[0],
            "rougeLsum_f_if_newlines_replaced_by_spaces": flat["rougeLsum"]["f"],
            # full precision: the test compares per-document F exactly, not to 6 places
            "per_doc_vs_own_reference_stemmed": [{"id": r["id"], **d} for r, d in zip(rows, per_doc)]}


def build_summarization(shared: Path, tools: dict) -> None:
    src, dst = shared / "summarization" / REALSUMM, OUT / "summarization" / REALSUMM
    test = read_jsonl(src / "test.jsonl")[:REALSUMM_DOCS]
    # the articles are left out: no metric reads them, and they are most of the bytes
    write_jsonl(dst / "test.jsonl", [{"id": r["id"], "references": r["references"]} for r in test])
    canonical = {r["id"]: r["references"][0] for r in test}
    systems = {}
    for system in REALSUMM_SYSTEMS:
        rows = [{"id": r["id"], "prediction": r["prediction"], "reference": r["reference"]}
                for r in read_jsonl(src / "systems" / f"{system}.jsonl") if r["id"] in canonical]
        write_jsonl(dst / "systems" / f"{system}.jsonl", rows)
        systems[system] = summarization_golden(rows, canonical)
    write_json(dst / "expected.json", {
        "generated_by": "scripts/make_conformance_subset.py (rouge_score.RougeScorer.score, 0-1 scale)",
        "tool_versions": tools, "subset_of": f"shared/data/summarization/{REALSUMM}: first {len(test)} documents",
        "systems": systems})


def coco_pipeline(refs: dict, preds: dict) -> tuple[dict, dict, dict]:
    """COCOEvalCap's steps: the Stanford PTB jar on both sides, then every scorer per image."""
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer
    with contextlib.redirect_stdout(io.StringIO()):
        gts = PTBTokenizer().tokenize({i: [{"caption": c} for c in rs] for i, rs in refs.items()})
        res = PTBTokenizer().tokenize({i: [{"caption": preds[i]}] for i in refs})
    corpus, per_image = coco_scores(gts, res)
    tokens = {"references": [t for i in refs for t in gts[i]], "predictions": [res[i][0] for i in refs]}
    return corpus, per_image, tokens


def coco_scores(gts: dict, res: dict) -> tuple[dict, dict]:
    """Every COCOEvalCap scorer on tokenized captions: corpus values and values per image."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.meteor.meteor import Meteor
    from pycocoevalcap.rouge.rouge import Rouge
    corpus, per_image = {}, {i: {} for i in gts}
    for scorer, names in ((Bleu(4), ["Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4"]), (Meteor(), ["METEOR"]),
                          (Rouge(), ["ROUGE_L"]), (Cider(), ["CIDEr"])):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            score, scores = scorer.compute_score(gts, res)
        if len(names) == 1:
            score, scores = [score], [scores]
        else:  # Bleu prints its totals (the numbers COCO's demo notebook shows): keep them
            corpus["bleu_stats"] = ast.literal_eval(printed.getvalue().splitlines()[0])
        for name, value, per in zip(names, score, scores):
            corpus[name] = float(value)
            for i, v in zip(gts, per):
                per_image[i][name] = float(v)
    return corpus, per_image


def build_captioning(shared: Path, tools: dict) -> None:
    if tools["java"] is None:
        print("captioning: java not on PATH; pycocoevalcap's pipeline cannot run, folder left as it is")
        return
    src, dst = shared / "captioning" / FAKECAP, OUT / "captioning" / FAKECAP
    everything = read_jsonl(src / "test.jsonl")
    six = [r for r in everything if len(r["references"]) > 5]
    test = [r for r in everything if len(r["references"]) == 5][:FAKECAP_IMAGES - len(six)] + six
    write_jsonl(dst / "test.jsonl", test)
    preds = {r["id"]: r["prediction"] for r in read_jsonl(src / "systems" / "fakecap.jsonl")}
    write_jsonl(dst / "systems" / "fakecap.jsonl", [{"id": r["id"], "prediction": preds[r["id"]]} for r in test])
    corpus, per_image, tokens = coco_pipeline({r["id"]: r["references"] for r in test}, preds)
    width = max(len(r["references"]) for r in test)
    streams = [[r["references"][j] if j < len(r["references"]) else None for r in test] for j in range(width)]
    sacre, signatures = translation_golden([preds[r["id"]] for r in test], streams)
    write_json(dst / "expected.json", {
        "generated_by": "scripts/make_conformance_subset.py (pycocoevalcap PTBTokenizer, Bleu(4), Meteor, "
                        "Rouge, Cider, as COCOEvalCap runs them)",
        "tool_versions": tools, "java_ran": True,
        "subset_of": f"shared/data/captioning/{FAKECAP}: the first {len(test) - len(six)} five-reference "
                     f"images and the {len(six)} six-reference ones",
        # sacrebleu on the raw captions: multi-reference BLEU/chrF/TER on real data with a licence
        # that allows shipping it (WMT21's two references could not be)
        "systems": {"fakecap": {**corpus, "n_images": len(test),
                                "sacrebleu": {"scores": sacre, "signatures": signatures},
                                "per_image": [{"id": i, **v} for i, v in per_image.items()]}}})
    write_json(dst / "ptb_jar.json", {
        "tokenizer": "Stanford PTBTokenizer 3.4.1 (pycocoevalcap's jar, -preserveLines -lowerCase) "
                     "and pycocoevalcap's punctuation filter", "java": tools["java"],
        "order": "references in test.jsonl order, then systems/fakecap.jsonl in test.jsonl order", **tokens})


def build_vectors(shared: Path, tools: dict) -> None:
    """Known-answer vectors, copied byte for byte: the published values come with them, and the
    reference implementations' own values are recomputed here."""
    src, dst = shared / "test_vectors", OUT / "test_vectors"
    for folder, names in (("rouge_score_vs_rouge155", ("prediction.txt", "target.txt", "prediction_multi.0.txt",
                                                       "target_multi.0.txt")),
                          ("nlgeval_examples", ("hyp.txt", "ref1.txt", "ref2.txt"))):
        (dst / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copyfile(src / folder / name, dst / folder / name)
    published = json.loads((src / "rouge_score_vs_rouge155" / "expected.json").read_text(encoding="utf-8"))
    write_json(dst / "rouge_score_vs_rouge155" / "expected.json", {
        "published_source": "google-research rouge/rouge_scorer_test.py (ROUGE-1.5.5 values, 5 places)",
        "rouge155_published": published["rouge155_published"]})
    if tools["java"] is None:  # METEOR needs Java; without it the nlg-eval vectors are not written
        return
    nlg = json.loads((src / "nlgeval_examples" / "expected.json").read_text(encoding="utf-8"))
    read = lambda name: (dst / "nlgeval_examples" / name).read_text(encoding="utf-8").splitlines()
    gts = {i: [a.strip(), b.strip()] for i, (a, b) in enumerate(zip(read("ref1.txt"), read("ref2.txt")))}
    ours, _ = coco_scores(gts, {i: [h.strip()] for i, h in enumerate(read("hyp.txt"))})
    write_json(dst / "nlgeval_examples" / "expected.json", {
        "generated_by": "scripts/make_conformance_subset.py (pycocoevalcap scorers, whitespace tokens, no PTB "
                        "tokenizer)", "tool_versions": tools, "published_source": nlg["published_source"],
        "comparison": {k: {"ours": ours[k], "published": v["published"]} for k, v in nlg["comparison"].items()}})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path,
                        default=Path(os.environ.get("HARNESS_SHARED_DATA", REPO.parent / "shared" / "data")))
    args = parser.parse_args()
    tools = versions()
    build_translation(args.shared, tools)
    build_summarization(args.shared, tools)
    build_captioning(args.shared, tools)
    build_vectors(args.shared, tools)
    size = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {OUT.relative_to(REPO)}: {size / 1024:.0f} KiB; java ran: {tools['java'] is not None}")


if __name__ == "__main__":
    main()
