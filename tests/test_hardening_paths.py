"""Where data may point: an image path in a data file (and a data file named by a task file) is
read from that file's folder or below; ``../``, absolute paths and symlinks whose target lies
outside are refused with file:line unless ``--allow-outside-paths``. Refused paths are never
opened (the check is on the resolved path, before any read)."""
import json
import os

import pytest

from conftest import write_jsonl
from harness import data
from harness.cli import main
from harness.errors import DataError


@pytest.fixture
def tree(tmp_path):
    """tmp/outside/secret.png, tmp/data/{in.png, sub/in2.png, link-out.png -> ../outside/secret.png}"""
    (tmp_path / "outside").mkdir()
    secret = tmp_path / "outside" / "secret.png"
    secret.write_bytes(b"secret")
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "in.png").write_bytes(b"png")
    (folder / "sub" / "in2.png").write_bytes(b"png2")
    (folder / "link-out.png").symlink_to(secret)
    (folder / "link-in.png").symlink_to(folder / "in.png")
    return tmp_path


REFUSED = ["../outside/secret.png", "../../../../../../etc/passwd", "/etc/passwd", "link-out.png",
           "sub/../../outside/secret.png"]
ACCEPTED = ["in.png", "sub/in2.png", "./sub/../in.png", "link-in.png"]


def _file(tree, image):
    return write_jsonl(tree / "data" / "d.jsonl", [
        {"id": "ok", "image": "in.png", "references": ["r"]},
        {"id": "x", "image": image, "references": ["r"]}])


@pytest.mark.parametrize("image", REFUSED)
def test_an_image_outside_the_data_folder_is_refused(tree, image):
    path = _file(tree, image)
    with pytest.raises(DataError, match=rf"^{path}:2: image .* is outside the data file's folder.*"
                                        r"--allow-outside-paths"):
        data.load_file(path)
    allowed = data.load_file(path, allow_outside=True)[1]
    assert allowed.image == os.path.realpath(tree / "data" / image)


@pytest.mark.parametrize("image", ACCEPTED)
def test_an_image_inside_the_data_folder_is_read(tree, image):
    examples = data.load_file(_file(tree, image))
    assert examples[1].image_digest.startswith("sha256:")
    assert not examples[1].image_name.startswith("..")


def _run(capsys, tree, *extra):
    path = _file(tree, "../outside/secret.png")
    preds = write_jsonl(tree / "preds.jsonl", [{"id": "ok", "prediction": "r"}, {"id": "x", "prediction": "r"}])
    try:
        rc = main(["run", "--model", f"predictions:{preds}", "--tasks", "demo-captioning", "--data",
                   str(path), "--metrics", "bleu", "--bootstrap", "0", "--output", str(tree / "out"),
                   "--no-progress", "--json", *extra])
    except SystemExit as exit_:
        rc = exit_.code
    return rc, *capsys.readouterr()


def test_the_cli_refuses_then_allows_with_the_option(capsys, tree):
    rc, out, err = _run(capsys, tree)
    assert rc == 2 and "d.jsonl:2: image '../outside/secret.png' is outside" in err
    assert "Traceback" not in err
    rc, out, err = _run(capsys, tree, "--allow-outside-paths")
    assert rc == 0, err
    assert json.loads(out)["task"]["n_examples"] == 2


def test_a_task_file_reads_data_from_its_folder_only(tmp_path):
    from harness.task.yaml_task import load_yaml_task
    write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "source": "x", "references": ["y"]}])
    (tmp_path / "tasks").mkdir()
    task_file = tmp_path / "tasks" / "t.yaml"
    task_file.write_text("name: t\nfamily: translation\nsource: {path: ../d.jsonl}\nmetrics: [bleu]\n")
    task = load_yaml_task(task_file)
    with pytest.raises(DataError, match=r"data file '../d.jsonl' is outside the task file's folder"):
        task.load_examples()
    assert [e.id for e in task.load_examples(allow_outside=True)] == ["a"]
