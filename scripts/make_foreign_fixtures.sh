#!/usr/bin/env bash
# Rebuild tests/data/foreign/: real output files of lm-evaluation-harness 0.4.13, inspect_ai
# 0.3.285 and lighteval 0.13.0, each run in a throwaway virtual environment of its own (their
# pins conflict with the project's) on a tiny GPT-2 built offline, over the first 12 segments
# of WMT17 en-de (tests/data/conformance). No network but PyPI; 15-20 minutes on 2 cores,
# mostly installs (3.5 minutes where the three environments exist). A rebuild gives the same
# outputs and numbers under new dates: every tool decodes greedily.
#
#   bash scripts/make_foreign_fixtures.sh [WORK_DIR]     # default: /tmp/harness-foreign
#
# The task is a continuation: the model gets a reference's first three words and its output is
# scored against the whole reference with BLEU, chrF and TER by each tool's own sacrebleu call,
# so `harness run --model predictions:FILE` can be checked against the tool's own numbers.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-/tmp/harness-foreign}
PY=${PYTHON:-$REPO/.venv/bin/python}
OUT=$REPO/tests/data/foreign
DATA=$REPO/tests/data/conformance/translation/wmt17_newstest2017_en-de/test.jsonl
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
mkdir -p "$WORK/data" "$OUT"

venv() {  # venv NAME PACKAGES...: torch first, so no CUDA build is downloaded
    local dir=$WORK/venv-$1; shift
    [ -x "$dir/bin/python" ] || python3 -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check torch==2.13.0
    "$dir/bin/pip" install -q --disable-pip-version-check sacrebleu==2.6.0 "$@"
}

# the model: tiny GPT-2 trained for 500 steps on the 150 references, so its outputs hold words
PYTHONPATH=$REPO "$PY" - "$DATA" "$WORK" <<'EOF'
import json, sys
from pathlib import Path
from harness.testing.tiny_models import build_causal
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
refs = [r["references"][0] for r in rows]
build_causal(Path(sys.argv[2]) / "tiny", refs, seed=0, train_steps=500)
with open(Path(sys.argv[2]) / "data" / "test.jsonl", "w", encoding="utf-8") as f:
    for r in rows[:12]:
        ref = r["references"][0]
        f.write(json.dumps({"id": r["id"], "prefix": " ".join(ref.split()[:3]), "reference": ref},
                           ensure_ascii=False) + "\n")
EOF

# lm-evaluation-harness: a task file over the local JSONL, --log_samples
venv lmeval "lm-eval[hf]==0.4.13"
mkdir -p "$WORK/lmeval-tasks"
cat > "$WORK/lmeval-tasks/wmt17_head_de.yaml" <<EOF
task: wmt17_head_de
dataset_path: json
dataset_kwargs:
  data_files:
    test: $WORK/data/test.jsonl
test_split: test
output_type: generate_until
doc_to_text: "{{prefix}}"
doc_to_target: "{{reference}}"
generation_kwargs: {until: ["\n"], max_gen_toks: 32, do_sample: false}
metric_list: [{metric: bleu}, {metric: chrf}, {metric: ter}]
EOF
rm -rf "$WORK/lmeval-out"
"$WORK/venv-lmeval/bin/lm_eval" --model hf --model_args "pretrained=$WORK/tiny,dtype=float32" \
    --device cpu --batch_size 4 --tasks wmt17_head_de --include_path "$WORK/lmeval-tasks" \
    --log_samples --output_path "$WORK/lmeval-out"
# as lm-eval names them: the harness finds results_<date>.json beside samples_<task>_<date>.jsonl
rm -rf "$OUT/lm-eval" && mkdir -p "$OUT/lm-eval"
cp "$WORK"/lmeval-out/*/samples_wmt17_head_de_*.jsonl "$WORK"/lmeval-out/*/results_*.json "$OUT/lm-eval/"

# inspect_ai: a task file whose scorer computes corpus BLEU and chrF with sacrebleu, its hf
# provider on the local folder, greedy (it samples by default)
venv inspect "inspect-ai==0.3.285" transformers accelerate
cat > "$WORK/inspect_wmt17_head.py" <<'EOF'
import sacrebleu
from inspect_ai import Task, task
from inspect_ai.dataset import FieldSpec, json_dataset
from inspect_ai.scorer import SampleScore, Score, metric, scorer
from inspect_ai.solver import generate


def _pairs(scores: list[SampleScore]):
    return ([s.score.metadata["prediction"] for s in scores],
            [[s.score.metadata["reference"] for s in scores]])


@metric
def bleu():
    def compute(scores: list[SampleScore]) -> float:
        return sacrebleu.corpus_bleu(*_pairs(scores)).score
    return compute


@metric
def chrf():
    def compute(scores: list[SampleScore]) -> float:
        return sacrebleu.corpus_chrf(*_pairs(scores)).score
    return compute


@scorer(metrics=[bleu(), chrf()])
def corpus_sacrebleu():
    async def score(state, target):
        prediction = state.output.completion
        return Score(value=sacrebleu.sentence_chrf(prediction, [target.text]).score, answer=prediction,
                     metadata={"prediction": prediction, "reference": target.text})
    return score


@task
def wmt17_head(data: str):
    return Task(dataset=json_dataset(data, FieldSpec(input="prefix", target="reference", id="id")),
                solver=generate(), scorer=corpus_sacrebleu())
EOF
# the .eval log of all 12 samples, and a --log-format json log of the first 3 (a JSON log holds
# every event of every sample: 12 samples make 150 KB)
for fmt in eval json; do
    rm -rf "$WORK/inspect-$fmt"
    limit=$([ $fmt = json ] && echo "--limit 3" || true)
    (cd "$WORK" && venv-inspect/bin/inspect eval inspect_wmt17_head.py -T "data=$WORK/data/test.jsonl" \
        --model hf/local -M "model_path=$WORK/tiny" -M device=cpu -M do_sample=false --max-tokens 32 $limit \
        --log-format $fmt --log-dir "$WORK/inspect-$fmt" --display plain)
    mkdir -p "$OUT/inspect"
    cp "$(ls "$WORK"/inspect-$fmt/*.$fmt)" "$OUT/inspect/wmt17_head.$fmt"
done

# lighteval: a custom task over the same JSONL, --save-details. lighteval 0.13 needs
# transformers 4 and huggingface_hub 0 (its task registry calls an API hub 1 removed), xxhash 3
# (4 refuses str), a tokenizer class transformers 4 knows, and no download of tinyBenchmarks.pkl
# (its registry fetches it at start, for tasks this run does not use: an empty file stands in)
venv lighteval "lighteval==0.13.0" "transformers<5" "huggingface_hub<1" "xxhash<4"
touch "$("$WORK/venv-lighteval/bin/python" -c 'import lighteval, os; print(os.path.dirname(lighteval.__file__))')/tasks/tasks/tinyBenchmarks.pkl"
rm -rf "$WORK/tiny-tf4" && cp -r "$WORK/tiny" "$WORK/tiny-tf4"
sed -i 's/"TokenizersBackend"/"PreTrainedTokenizerFast"/' "$WORK/tiny-tf4/tokenizer_config.json"
mkdir -p "$WORK/lighteval-data" && cp "$WORK/data/test.jsonl" "$WORK/lighteval-data/test.jsonl"
cat > "$WORK/lighteval_wmt17_head.py" <<'EOF'
import os

from lighteval.metrics.metrics import Metrics
from lighteval.tasks.lighteval_task import LightevalTaskConfig
from lighteval.tasks.requests import Doc


def prompt(line, task_name: str = ""):
    return Doc(task_name=task_name, query=line["prefix"], choices=[line["reference"]], gold_index=0,
               specific={"id": line["id"]})


TASKS_TABLE = [LightevalTaskConfig(
    name="wmt17_head", prompt_function=prompt, hf_repo=os.environ["WMT17_HEAD_DIR"], hf_subset="default",
    hf_avail_splits=["test"], evaluation_splits=["test"], few_shots_split=None, few_shots_select=None,
    generation_size=32, stop_sequence=["\n"], metrics=[Metrics.bleu, Metrics.chrf, Metrics.ter], version=0)]
EOF
rm -rf "$WORK/lighteval-out"
(cd "$WORK" && WMT17_HEAD_DIR="$WORK/lighteval-data" venv-lighteval/bin/lighteval accelerate \
    "model_name=$WORK/tiny-tf4,dtype=float32" "wmt17_head|0" --custom-tasks lighteval_wmt17_head.py \
    --save-details --output-dir "$WORK/lighteval-out")
# lighteval names its folders after the model's path; the fixture keeps the layout, under "tiny"
details=$(find "$WORK/lighteval-out/details" -name 'details_*.parquet')
results=$(find "$WORK/lighteval-out/results" -name 'results_*.json')
rm -rf "$OUT/lighteval"
mkdir -p "$OUT/lighteval/details/tiny/$(basename "$(dirname "$details")")" "$OUT/lighteval/results/tiny"
cp "$details" "$OUT/lighteval/details/tiny/$(basename "$(dirname "$details")")/"
cp "$results" "$OUT/lighteval/results/tiny/"

find "$OUT" -type f
