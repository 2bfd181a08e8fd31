"""The `harness` command line's arguments: every option with its help, default and examples."""
from __future__ import annotations

import argparse
from typing import Any, Sequence

from harness.errors import UsageError
from harness.models.foreign import FORMATS
from harness.run.options import Shard

DESCRIPTION = """\
Evaluate text generation models (machine translation, summarization, image captioning) on
registered tasks, with sacrebleu, rouge-score and COCO caption metrics. Every score carries a
signature and a 95% bootstrap confidence interval; runs are cached and resumable.

examples:
  harness tasks                                    # what can be evaluated
  harness run --model hf-seq2seq:t5-small --tasks wmt14-en-de --limit 200
  harness run --model predictions:preds.jsonl --tasks coco-karpathy --data refs.jsonl
  harness score -r ref.de -i system-a.de system-b.de -l en-de   # existing outputs, sacrebleu-style
  harness compare results/base-model results/new-model
  harness demo                                     # offline: tiny local models, 3 demo tasks

`harness COMMAND --help` describes each command."""

RUN_EXAMPLES = """\
examples:
  harness run --model hf-seq2seq:t5-small --tasks wmt14-en-de,cnn-dailymail --limit 200
  harness run --model hf-causal:./my-checkpoint --tasks xsum --model-args dtype=bfloat16
  harness run --model predictions:preds.jsonl --tasks coco-karpathy --data refs.jsonl
  harness run --model predictions:samples_wmt14-en-de.jsonl --tasks wmt14-en-de   # lm-eval's outputs
  harness run --model hf-causal:./ckpt --tasks translation --data wmt22-en-zh.jsonl -l en-zh
  harness run --model lead-3 --tasks cnn-dailymail --metrics rouge1,rougeLsum
  harness run --model copy-source --tasks wmt19-zh-en --metrics bleu:tokenize=zh:lowercase=yes,chrf
  harness run ... --json > record.json            # the run record(s) on stdout, nothing else
  harness run ... --shard $SLURM_ARRAY_TASK_ID/4   # shard I of 4, I = 0..3; the last to finish merges

Everything (tasks, data, options, the model's location, the output and cache folders) is
checked before the model loads; all problems found are listed together (exit status 2)."""

METRICS_HELP = ("metrics to score, comma-separated, instead of the task's: a name keeps the task's "
                "options for it; options follow the name after colons, NAME:OPTION=VALUE:..., e.g. "
                "bleu:tokenize=zh:lowercase=yes,chrf (`harness metrics` lists them; default: the "
                "task's metrics)")


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults shown where they say something: not for flags, unset options, or help that
    already names its default; the examples in descriptions and epilogs keep their lines."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        unset = any(action.default is v for v in (None, False, True, argparse.SUPPRESS))
        if unset or "default" in text:
            return text
        return super()._get_help_string(action)


def _int_at_least(minimum: int, below: str):
    """An argparse type: a whole number of at least ``minimum``; ``below`` says what is wrong."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} {below}")
        return value
    return parse


positive_int = _int_at_least(1, "is not a positive integer (1 or more)")
natural_int = _int_at_least(0, "is negative")


def given(text: str) -> str:
    """A value that may not be empty: ``--data "$UNSET"`` must not mean "no --data"."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty; give a value or leave the option out")
    return text


def batch_size(text: str) -> Any:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError as err:
        raise argparse.ArgumentTypeError(f"{err}; give 'auto' or a number of rows") from None


def _command(sub: Any, name: str, help: str, epilog: str) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".",
                          epilog=epilog, formatter_class=_Formatter)


def _add_output_format(p: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    p.add_argument("--format", choices=formats, default="text",
                   help="output format (text: a terminal table)")
    p.add_argument("--json", action="store_true", help="same as --format json")


def _add_listings(sub: Any) -> None:
    p = _command(sub, "tasks", "list registered tasks: name, family, data source, metrics",
                 "examples:\n  harness tasks\n  harness tasks --json | jq '.[].name'")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p = _command(sub, "models", "list model kinds and their --model-args (type, default, help)",
                 "examples:\n  harness models\n  harness models --json\n"
                 "  harness run --model hf-seq2seq:t5-small --model-args dtype=float32,device=cpu ...")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p = _command(sub, "metrics", "list metrics and their options (type, default, help)",
                 "examples:\n  harness metrics\n  harness metrics --json\n"
                 "  harness run ... --metrics bleu:tokenize=zh,chrf    # options from the command line\n"
                 "  (in a task file: metrics: [{name: bleu, tokenize: zh}, chrf])")
    p.add_argument("--json", action="store_true", help="print the list as JSON")


def _add_run(sub: Any) -> None:
    p = _command(sub, "run", "evaluate a model on tasks and write one run record per task",
                 RUN_EXAMPLES)
    p.add_argument("--model", type=given, required=True, metavar="KIND[:LOCATION]",
                   help="the model kind and where it is: hf-seq2seq:t5-small, hf-causal:./folder, "
                        "predictions:preds.jsonl, lead-3 (`harness models` lists the kinds)")
    p.add_argument("--tasks", required=True, metavar="A,B",
                   help="comma-separated task names or task file paths (`harness tasks` lists them)")
    p.add_argument("--model-args", metavar="K=V,...",
                   help="model settings, e.g. dtype=bfloat16,revision=main (`harness models` "
                        "lists each kind's; default: the kind's defaults)")
    p.add_argument("--predictions-format", choices=("jsonl", "text") + FORMATS, metavar="FORMAT",
                   help="with --model predictions:FILE, the file's format: jsonl ({id, prediction}), "
                        "text (a line each), lm-eval (samples_*.jsonl from --log_samples), "
                        "lighteval (details parquet), inspect (a .eval or .json log) (default: "
                        "detected from the file's content)")
    p.add_argument("--gen-kwargs", metavar="K=V,...",
                   help="generation settings over the task's, e.g. max_new_tokens=64,num_beams=4; "
                        "a list as JSON, e.g. stop='[\"a,b\", \"\\\\n\"]' (default: the task's)")
    p.add_argument("--limit", type=positive_int, metavar="N",
                   help="only the first N examples in the task's canonical order (default: all)")
    p.add_argument("--metrics", type=given, metavar="NAME[:OPT=V...],...", help=METRICS_HELP)
    p.add_argument("--data", type=given, metavar="FILE",
                   help="a local JSONL/TSV/CSV file replacing the task's data source (default: "
                        "the task's source)")
    p.add_argument("--allow-outside-paths", action="store_true",
                   help="read images (and a task file's data) outside the data file's (task "
                        "file's) folder; refused by default")
    _add_generic(p, "the --data file's name")
    p.add_argument("--seed", type=natural_int, default=12345,
                   help="fixes sampling and the bootstrap (12345 is sacrebleu's)")
    p.add_argument("--output", type=given, default="results", metavar="DIR",
                   help="where run records go: DIR/<model>/<task>/<run id>/")
    p.add_argument("--json", action="store_true",
                   help="print the run record(s) as JSON on stdout, and nothing else there")
    p.add_argument("--batch-size", type=batch_size, default="auto", metavar="auto|N",
                   help="'auto' (batches by token budget, backing off on out-of-memory) or a "
                        "fixed number of rows")
    p.add_argument("--max-batch-tokens", type=positive_int, metavar="N",
                   help="token budget per batch (default: estimated from free memory)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the generation cache")
    p.add_argument("--on-error", choices=("fail", "skip"), default="fail",
                   help="an example the model cannot answer (an unreadable image, a request "
                        "that keeps failing): stop naming it (fail), or record it, score the "
                        "rest and mark the run partial (skip); a rerun retries it")
    p.add_argument("--cache-dir", type=given, metavar="DIR",
                   help="generation cache folder (default: $HARNESS_CACHE or ~/.cache/harness)")
    p.add_argument("--cache-mode", choices=("auto", "local", "shared"), metavar="auto|local|shared",
                   help="the generation cache's layout: 'local' (one file; runs on one machine "
                        "share the work), 'shared' (a file per writer, for a folder several nodes "
                        "share on NFS, Lustre...), 'auto' (shared on a network filesystem or in a "
                        "multi-node torchrun job); default: $HARNESS_CACHE_MODE or auto")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar and no scoring lines on stderr (--json turns them off too)")
    _add_ci_bootstrap(p)
    p.add_argument("--postprocess", type=given, metavar="task|none|STEPS",
                   help="what to do to outputs before scoring: 'task' (the task's steps), 'none', "
                        "or steps, e.g. strip,first_line (default: 'none' for a predictions file, "
                        "which is scored as written; 'task' otherwise)")
    p.add_argument("--shard", type=shard_spec, metavar="I/N",
                   help="evaluate shard I of N, counting from 0 (0/4 .. 3/4): "
                        "$SLURM_ARRAY_TASK_ID/4 with #SBATCH --array=0-3, $JOB_COMPLETION_INDEX/4 "
                        "in a Kubernetes indexed job; each writes its part under "
                        "DIR/<model>/<task>/shards/<key>/ and the last to finish merges all N into "
                        "the run record (or: harness merge DIR)")
    p.add_argument("--shard-key", type=given, metavar="KEY",
                   help="what the shards of one run share, e.g. $SLURM_ARRAY_JOB_ID (default: a "
                        "hash of the model, task, data and settings, so the same command finds "
                        "its sibling shards)")


def _add_generic(p: argparse.ArgumentParser, default_name: str) -> None:
    """What names the data of a generic task (translation, summarization, captioning)."""
    p.add_argument("--task-name", type=given, metavar="NAME",
                   help=f"the data's name, which its records and reports carry, for the generic "
                        f"tasks (default: {default_name}; a registered task's name is refused)")
    p.add_argument("-l", "--language-pair", type=given, metavar="SRC-TGT",
                   help="the generic translation task's languages: the target picks BLEU's "
                        "tokenizer as sacrebleu -l does (zh: zh, ja: ja-mecab, ko: ko-mecab, "
                        "otherwise 13a); --metrics bleu:tokenize=... wins")


SCORE_EXAMPLES = """\
examples:
  harness score -r newstest2021.ref.A.en newstest2021.ref.B.en -i sysA.en sysB.en
  harness score ref.zh -i base.zh new.zh --name baseline candidate -l en-zh
  harness score -r refs.jsonl -i preds.jsonl --task-name wmt22-zh-en --metrics bleu chrf
  harness score -r summaries.txt -i lead3.txt --task summarization --json
  harness leaderboard results/ && harness compare results/<baseline> results/<candidate>

Plain text files hold one segment a line (read as sacrebleu reads them: an empty line is a
segment); several reference files give each segment several references. A .jsonl/.tsv/.csv
reference file is a data file (id, source, references) and a .jsonl system a predictions file
(id, prediction). Every system is written as a run record, as `harness run` writes them."""


def _add_score(sub: Any) -> None:
    p = _command(sub, "score", "score existing outputs against references, several systems at "
                 "once, and write one run record per system", SCORE_EXAMPLES)
    p.add_argument("refs", nargs="*", metavar="REF", help="reference files, as sacrebleu takes them")
    p.add_argument("-r", "--references", nargs="+", type=given, metavar="REF",
                   help="reference files: plain text (several: several references a segment) or "
                        "one data file")
    p.add_argument("-i", "--input", nargs="+", type=given, required=True, metavar="SYS",
                   help="system outputs: plain text, a line a segment, or JSONL of {id, prediction}")
    p.add_argument("--name", nargs="+", type=given, metavar="NAME",
                   help="each system's name in records and reports, in -i's order (default: "
                        "each file's name without its suffix)")
    p.add_argument("-s", "--source", type=given, metavar="FILE",
                   help="plain text sources, a line a segment, kept with each example")
    p.add_argument("--task", choices=("translation", "summarization", "captioning"),
                   default="translation", help="the generic task: its family and metrics")
    _add_generic(p, "the first reference file's name")
    p.add_argument("-m", "--metrics", nargs="+", type=given, metavar="NAME[:OPT=V...]",
                   help="metrics to score instead of the task's, space- or comma-separated, e.g. "
                        "-m bleu chrf or --metrics bleu:tokenize=intl,ter (default: the task's)")
    p.add_argument("--postprocess", type=given, default="none", metavar="none|task|STEPS",
                   help="what to do to outputs before scoring (default: nothing, as sacrebleu)")
    p.add_argument("--output", type=given, default="results", metavar="DIR",
                   help="where run records go: DIR/<model>/<task>/<run id>/")
    _add_ci_bootstrap(p)
    p.add_argument("--seed", type=natural_int, default=12345, help="fixes the bootstrap")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the metric "
                   "statistics cache")
    _add_output_format(p, ("text", "json"))


def shard_spec(text: str) -> Any:
    try:
        return Shard.parse(text)
    except UsageError as err:
        raise argparse.ArgumentTypeError(str(err).removeprefix("--shard ")) from None


def _add_merge(sub: Any) -> None:
    p = _command(sub, "merge", "merge the shards of runs made with `harness run --shard I/N` "
                 "into their run records (the last shard to finish does it by itself)",
                 "examples:\n  harness merge results/\n"
                 "  harness merge results/hf-causal_gpt2/wmt14-en-de/shards/3fa9c1d2e4b5\n"
                 "  harness merge /scratch/*/results --output results\n\n"
                 "Every shard 0..N-1 must be there once, all with one model, task, data and "
                 "settings;\notherwise nothing is merged and the error names the shard and its file.")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="shard files (shard-I-of-N.json) or folders to search for them")
    p.add_argument("--output", type=given, metavar="DIR",
                   help="where run records go (default: the results folder the shards are in)")
    p.add_argument("--json", action="store_true",
                   help="print the run record(s) as JSON on stdout, and nothing else there")


def _add_clean(sub: Any) -> None:
    p = _command(sub, "clean", "remove what killed runs left in a results folder: temporary "
                 "folders and files of writers that are gone, merge locks of merges that are gone",
                 "examples:\n  harness clean results/\n  harness clean results/ --dry-run\n\n"
                 "Never removes a run, nor what a live run on this host is writing; another\n"
                 "host's temporaries once they are an hour old, its locks once their heartbeat "
                 "stopped.")
    p.add_argument("path", metavar="RESULTS", help="the results folder (--output of the runs)")
    p.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=DESCRIPTION,
                                     formatter_class=_Formatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_listings(sub)
    _add_run(sub)
    _add_score(sub)
    _add_merge(sub)
    _add_clean(sub)
    p = _command(sub, "demo", "offline demo: build tiny local models and evaluate them and the "
                 "baselines on the 3 demo tasks",
                 "examples:\n  harness demo\n  harness demo --quick --output /tmp/demo")
    p.add_argument("--output", default="results/demo", metavar="DIR",
                   help="where the tiny models and run records go")
    p.add_argument("--quick", action="store_true", help="fewer examples and training steps")
    _add_compare(sub)
    _add_power(sub)
    _add_leaderboard(sub)
    _add_sweep(sub)
    _add_report(sub)
    parser.set_defaults(commands=sub.choices)
    return parser


def dash_values(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """``--shard -1/2`` read as ``--shard=-1/2``: argparse takes a value that starts with
    ``-`` (and is no plain negative number) for an option, and says "expected one argument"
    instead of the option's own check and hint. A value may start with ``-`` exactly when
    it is no option of the command."""
    argv = list(argv)
    command = parser.get_default("commands").get(next((a for a in argv if not a.startswith("-")), ""))
    if command is None:
        return argv
    # argparse has no public list of a parser's options
    options = {o: a.nargs != 0 for a in command._actions for o in a.option_strings}
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return out + argv[i:]
        if options.get(arg) and i + 1 < len(argv) and argv[i + 1].startswith("-") \
                and argv[i + 1] not in options and argv[i + 1] != "--":
            out.append(f"{arg}={argv[i + 1]}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


def _add_compare(sub: Any) -> None:
    p = _command(sub, "compare", "paired significance tests of systems against a baseline, from "
                 "their stored statistics (nothing is generated again)",
                 "examples:\n  harness compare results/base-model results/new-model\n"
                 "  harness compare BASE SYS1 SYS2 --correction holm --examples 5\n"
                 "  harness compare BASE SYS --metrics 'bleu,rouge*' --format md\n"
                 "  harness compare --segments BASE SYS --metrics bleu   # where they differ")
    p.add_argument("baseline", help="run folder, its run.json, a task folder or a model folder")
    p.add_argument("systems", nargs="+", help="one or more systems, each tested against the baseline")
    p.add_argument("--metrics", metavar="A,B", help="comma-separated metric names or globs "
                   "(default: every stored one)")
    _add_significance(p, "the verdict", "multiple-testing correction over all tests (none: raw "
                      "p-values, the number of tests stated)", "paired bootstrap resamples")
    p.add_argument("--randomization", type=natural_int, default=10000, metavar="N",
                   help="approximate randomization trials")
    p.add_argument("--force", action="store_true", help="compare runs whose data, example ids or "
                   "signatures differ (every affected row says so)")
    p.add_argument("--examples", type=natural_int, metavar="K",
                   help="show the K examples that moved most per metric (default: none; with "
                        "--segments: K each way, default 5)")
    p.add_argument("--segments", action="store_true", help="where the systems differ: buckets by "
                   "reference length, source length and the baseline's per-example score, each with "
                   "the Δ's paired-bootstrap CI; the n-grams each side matches more often; the "
                   "examples that moved most each way (--randomization, --correction and --alpha "
                   "do not apply)")
    p.add_argument("--buckets", type=natural_int, default=5, metavar="N",
                   help="with --segments: buckets of about equal size per property")
    p.add_argument("--plots", metavar="DIR", help="with --segments: write Δ per bucket with its CI "
                   "as a figure (PNG and SVG) per task, system and metric into DIR")
    _add_include_partial(p)
    _add_output_format(p, ("text", "md", "csv", "latex", "json"))


def _add_power(sub: Any) -> None:
    p = _command(sub, "power", "what a test set can detect: the smallest difference the paired test "
                 "finds with the given power, and the examples a given difference needs, from the stored "
                 "statistics",
                 "examples:\n  harness power results/base-model                 # one run: assumes --correlation\n"
                 "  harness power results/base-model results/new-model   # two runs: their own covariance\n"
                 "  harness power BASE SYS --metrics bleu --delta 0.5 --json")
    p.add_argument("runs", nargs="+", metavar="RUN", help="one or two run, task or model folders (two: "
                   "the first is the baseline)")
    p.add_argument("--delta", type=float, metavar="D", help="the difference to plan for, in each metric's "
                   "points: its power and the examples it needs (default: the two runs' observed Δ)")
    p.add_argument("--metrics", metavar="A,B", help="comma-separated metric names or globs "
                   "(default: every stored one)")
    p.add_argument("--power", type=float, default=0.8, help="the probability of finding the difference")
    p.add_argument("--correlation", type=float, default=0.5, metavar="RHO",
                   help="one run only: how the resampled scores of the system to compare it with would "
                        "correlate with its own (two runs measure it)")
    p.add_argument("--bootstrap", type=natural_int, default=1000, metavar="N",
                   help="bootstrap resamples for the standard error")
    p.add_argument("--seed", type=int, default=12345, help="resampling seed (12345 is sacrebleu's)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level of the paired test")
    _add_output_format(p, ("text", "md", "latex", "json"))


def _add_leaderboard(sub: Any) -> None:
    p = _command(sub, "leaderboard", "models x task metrics with ranks, CIs and significance clusters",
                 "examples:\n  harness leaderboard results/\n"
                 "  harness leaderboard results/ --format md --sort wmt14-en-de:bleu\n"
                 "  harness leaderboard results/ --models 'hf-*' --tasks 'wmt*' --format html > board.html")
    p.add_argument("results", nargs="+", help="results folders (or model, task or run folders)")
    p.add_argument("--tasks", metavar="A,B", help="comma-separated task names or globs (default: all)")
    p.add_argument("--metrics", metavar="A,B", help="comma-separated metric names or globs (default: all)")
    p.add_argument("--models", metavar="A,B", help="comma-separated globs of model specs or "
                   "system names (harness score --name), e.g. 'hf-*,predictions:*' (default: all)")
    p.add_argument("--sort", metavar="TASK:METRIC", help="order rows by this column (default: the first)")
    p.add_argument("--round", type=natural_int, default=2, metavar="N", help="decimals shown")
    _add_include_partial(p)
    _add_significance(p, "the clusters", "correction over each column's pairwise tests",
                      "paired bootstrap resamples for the clusters")
    _add_output_format(p, ("text", "md", "csv", "latex", "html", "json"))


def _add_ci_bootstrap(p: Any) -> None:
    """The scores' confidence intervals, shared by run, score and sweep."""
    p.add_argument("--bootstrap", type=natural_int, default=1000, metavar="N",
                   help="bootstrap resamples for the 95%% CIs (0: no CIs)")


def _add_include_partial(p: Any) -> None:
    p.add_argument("--include-partial", action="store_true", help="show runs in which some examples "
                   "failed, marked with how many (default: list them under the table, left out)")


def _add_significance(p: Any, decided: str, correction_help: str, bootstrap_help: str) -> None:
    """The paired tests' settings, shared by compare and leaderboard."""
    p.add_argument("--bootstrap", type=natural_int, default=1000, metavar="N", help=bootstrap_help)
    p.add_argument("--seed", type=int, default=12345, help="resampling seed (12345 is sacrebleu's)")
    p.add_argument("--correction", choices=("none", "holm", "bonferroni"), default="none",
                   help=correction_help)
    p.add_argument("--alpha", type=float, default=0.05, help=f"significance level of {decided}")


def _add_sweep(sub: Any) -> None:
    p = _command(sub, "sweep", "evaluate every checkpoint of a training run: a table, curves, and "
                 "tests of the best checkpoint against the others",
                 "examples:\n  harness sweep out/my-run --model-type hf-seq2seq --tasks wmt14-en-de "
                 "--limit 500\n  harness sweep out/my-run/checkpoint-500 out/my-run/checkpoint-1000 "
                 "--model-type hf-causal --tasks xsum --format md")
    p.add_argument("checkpoints", nargs="+", help="a folder of checkpoint-N/ folders, or checkpoint paths")
    p.add_argument("--model-type", required=True, choices=("hf-causal", "hf-seq2seq", "hf-vision2seq"),
                   help="the model kind every checkpoint is loaded as")
    p.add_argument("--tasks", required=True, metavar="A,B", help="comma-separated task names or YAML paths")
    p.add_argument("--output", default="results", metavar="DIR", help="where run records go")
    p.add_argument("--plots", metavar="DIR", help="where curves go (default: <output>/sweeps/<run name>/)")
    p.add_argument("--metrics", metavar="NAME[:OPT=V...],...", help=METRICS_HELP)
    p.add_argument("--limit", type=positive_int, metavar="N", help="the first N examples (default: all)")
    p.add_argument("--data", metavar="FILE", help="a local JSONL/TSV/CSV file replacing the task's "
                   "data source (default: the task's source)")
    p.add_argument("--seed", type=natural_int, default=12345, help="fixes sampling and the bootstrap")
    p.add_argument("--gen-kwargs", metavar="K=V,...", help="generation settings over the task's, "
                   "e.g. max_new_tokens=64 (default: the task's)")
    p.add_argument("--model-args", metavar="K=V,...", help="model settings, e.g. dtype=bfloat16 "
                   "(default: the kind's defaults; `harness models` lists them)")
    p.add_argument("--postprocess", type=given, metavar="task|none|STEPS",
                   help="what to do to outputs before scoring: 'task' (default), 'none', or "
                        "steps, e.g. strip,first_line")
    _add_ci_bootstrap(p)
    _add_output_format(p, ("text", "md", "csv", "latex", "json"))


def _add_report(sub: Any) -> None:
    p = _command(sub, "report", "one self-contained HTML report of results folders",
                 "examples:\n  harness report results/\n"
                 "  harness report results/ -o site/index.html --title 'WMT14 en-de'")
    p.add_argument("results", nargs="+", help="results folders")
    p.add_argument("-o", "--output", default="report.html", metavar="FILE", help="the HTML file to write")
    p.add_argument("--title", default="harness report", help="the report's title")
    _add_include_partial(p)
