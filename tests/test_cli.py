"""The listing commands and user errors of the command line."""
import json
import subprocess
import sys

from conftest import REPO, run_cli, write_jsonl


def test_tasks_lists_real_and_demo_tasks_without_importing_torch():
    code = ("import sys; from harness.cli import main; main(['tasks', '--json']); "
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().endswith("NO-TORCH")
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    for name in ("wmt14-en-de", "cnn-dailymail", "coco-karpathy", "demo-translation",
                 "demo-summarization", "demo-captioning"):
        assert name in rows, name
    assert rows["cnn-dailymail"]["family"] == "summarization"
    assert "bleu" in rows["wmt14-en-de"]["metrics"]


def test_models_and_metrics_listings():
    models = run_cli("models")
    assert models.returncode == 0, models.stderr
    for kind in ("hf-causal", "hf-seq2seq", "hf-vision2seq", "predictions", "lead-3", "copy-source"):
        assert kind in models.stdout
    metrics = run_cli("metrics")
    assert metrics.returncode == 0, metrics.stderr
    for name in ("bleu", "chrf", "ter", "rouge1", "rougeLsum", "cider"):
        assert name in metrics.stdout


def test_unknown_names_suggest_the_closest(tmp_path):
    proc = run_cli("run", "--model", "hf-seq2sq:x", "--tasks", "demo-translation")
    assert proc.returncode == 2
    assert "did you mean 'hf-seq2seq'" in proc.stderr
    proc = run_cli("run", "--model", "copy-source", "--tasks", "demo-translaton",
                   "--output", str(tmp_path))
    assert proc.returncode == 2 and "did you mean 'demo-translation'" in proc.stderr
    proc = run_cli("run", "--model", "copy-source", "--tasks", "demo-translation",
                   "--metrics", "bleu,rogue1", "--output", str(tmp_path))
    assert proc.returncode == 2 and "rouge1" in proc.stderr


def test_task_yaml_errors_name_file_and_line(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", [{"id": 1, "source": "a", "references": ["a"]}])
    task = tmp_path / "t.yaml"
    task.write_text(f"name: t\nfamily: translation\nsource:\n  path: {data}\n"
                    "metrics:\n  - bleu\n  - rogue1\n")
    proc = run_cli("run", "--model", "copy-source", "--tasks", str(task), "--output", str(tmp_path))
    assert proc.returncode == 2
    assert f"{task}:7: unknown metric 'rogue1'" in proc.stderr
    assert "did you mean" in proc.stderr
