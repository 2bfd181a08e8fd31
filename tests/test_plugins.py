"""Third-party plugins arrive through the `harness.<kind>` entry-point groups."""
import subprocess
import sys
import textwrap

from conftest import REPO


def test_an_installed_package_adds_a_model_and_a_metric(tmp_path):
    (tmp_path / "shout_plugin.py").write_text(textwrap.dedent('''
        from harness.metrics.base import Metric
        from harness.models.baselines import CopySource
        import numpy as np

        class Shout(CopySource):
            description = "upper-cases the source"
            def output(self, source):
                return source.upper()

        class Length(Metric):
            name = "length"
            description = "mean prediction length in characters"
            def statistics(self, corpus):
                return np.array([[len(p)] for p in corpus.predictions], dtype=float)
            def aggregate(self, stats):
                return float(stats[:, 0].mean())
            def signature(self, corpus):
                return "length|unit:char"
    '''))
    dist = tmp_path / "shout_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: shout-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[harness.models]\nshout = shout_plugin:Shout\n\n[harness.metrics]\nlength = shout_plugin:Length\n")
    code = ("import sys; from harness.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    env_path = f"{tmp_path}"
    listing = subprocess.run([sys.executable, "-c", code, "models"], capture_output=True, text=True,
                             cwd=REPO, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
    assert listing.returncode == 0, listing.stderr
    assert "shout" in listing.stdout and "upper-cases the source" in listing.stdout
    run = subprocess.run([sys.executable, "-c", code, "run", "--model", "shout", "--tasks",
                          "demo-translation", "--limit", "3", "--metrics", "length,bleu",
                          "--output", str(tmp_path / "out"), "--no-progress"],
                         capture_output=True, text=True, cwd=REPO,
                         env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin",
                              "HARNESS_CACHE": str(tmp_path / "cache")})
    assert run.returncode == 0, run.stderr
    assert "length|unit:char" in run.stdout and "shout" in run.stdout
    record = next((tmp_path / "out").rglob("run.json")).read_text()
    assert '"locator": "shout"' in record


def test_a_new_plugin_module_is_found_by_reading_its_package(tmp_path, monkeypatch):
    """One file adds a metric: the registry imports the modules that register, and only those
    (a helper module that would fail to import, as torch's would be slow, is never imported)."""
    import importlib
    import sys
    package = tmp_path / "more_metrics"
    package.mkdir()
    (package / "__init__.py").write_text(  # a registry of its own, so the real one stays as it is
        "from harness.registry import Registry\n\nmetrics = Registry('metrics', packages=('more_metrics',))\n")
    (package / "mine.py").write_text(
        "from more_metrics import metrics\n\n\n@metrics.register('mine')\nclass Mine:\n    pass\n")
    (package / "helpers.py").write_text("raise ImportError('a helper is imported only by its users')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = importlib.import_module("more_metrics").metrics
    assert registry.names() == ["mine"] and registry.get("mine").__name__ == "Mine"
    assert "more_metrics.helpers" not in sys.modules
