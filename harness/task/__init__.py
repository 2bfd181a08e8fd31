"""Tasks: where examples come from, how a model is asked, how outputs are cleaned and scored.

Declarative tasks are YAML files (the shipped ones live in ``tasks/``; any file can be passed
by path), validated whole by ``spec.TaskSpec``. Tasks that need code subclass ``Task`` and
register the class: ``@tasks.register("name")`` in-tree (``harness/task/shipped/``), or from
another package an entry point ``my-task = "my_pkg.tasks:MyTask"`` in ``harness.tasks``.
A YAML task and a Python task never share a name.
"""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from pydantic import ValidationError

from harness.errors import UsageError
from harness.registry import tasks
from harness.task.base import Task, TaskProtocol
from harness.task.generic import GenericTask
from harness.task.postprocess import POSTPROCESS
from harness.task.spec import FAMILIES, TaskSettings, TaskSpec, problems
from harness.task.yaml_task import YamlTask, load_yaml_task
from harness.task import shipped

__all__ = ["Task", "TaskProtocol", "GenericTask", "YamlTask", "TaskSpec", "TaskSettings", "FAMILIES",
           "POSTPROCESS", "get_task", "load_yaml_task", "shipped_tasks_dir"]


def shipped_tasks_dir() -> Path:
    """``tasks/`` inside the wheel (harness/_tasks) or beside the package in a checkout."""
    package = Path(__file__).resolve().parent.parent
    return package / "_tasks" if (package / "_tasks").is_dir() else package.parent / "tasks"


class _LazyYamlTask:
    """A shipped task file, parsed (and its metrics built) only when the task is used."""

    def __init__(self, path: Path):
        self.path = path

    def load(self, name: str) -> YamlTask:
        task = load_yaml_task(self.path)
        if task.name != name:
            raise UsageError(f"{self.path}: task file is named {name!r} but declares name "
                             f"{task.name!r}; make them equal")
        return task


def _register_shipped() -> None:
    folder = shipped_tasks_dir()
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        tasks.register(path.stem)(_LazyYamlTask(path))
    for module in pkgutil.iter_modules(shipped.__path__):
        importlib.import_module(f"{shipped.__name__}.{module.name}")


def get_task(name_or_path: str) -> TaskProtocol:
    """A registered task by name, or a YAML task file by path."""
    if name_or_path.endswith((".yaml", ".yml")) or "/" in name_or_path:
        path = Path(name_or_path)
        if path.is_dir():
            raise UsageError(f"{name_or_path}: a folder, not a task file; name a .yaml file")
        if not path.is_file():
            raise UsageError(f"{name_or_path}: no such task file")
        return load_yaml_task(path)
    registered = tasks.get(name_or_path)
    if isinstance(registered, _LazyYamlTask):
        return registered.load(name_or_path)
    return _python_task(name_or_path, registered)


def _python_task(name: str, registered: object) -> Task:
    if not (isinstance(registered, type) and issubclass(registered, Task)):
        example, what = "my_pkg.tasks:MyTask", _dotted(registered)
        if not callable(registered) or isinstance(registered, Task):
            example = _dotted(type(registered))
            what = f"an instance of {example}"
        raise UsageError(
            f"task {name!r} is registered as {what}, which is not a harness.task.Task subclass; "
            f"register the class itself (entry point: {name} = \"{example}\"), or pass a YAML "
            f"task by its path")
    where = _dotted(registered)
    try:
        task = registered()
    except TypeError as err:
        raise UsageError(f"task {name!r}: {where}() fails ({err}); a Task subclass is created "
                         f"without arguments, its settings are class attributes") from None
    if not task.name:
        task.name = name  # type: ignore[misc]
    if task.name != name:
        raise UsageError(f"task {name!r} ({where}) declares name {task.name!r}; make them equal")
    _check_settings(task, where)
    return task


def _dotted(obj: object) -> str:
    return f"{getattr(obj, '__module__', '?')}:{getattr(obj, '__qualname__', repr(obj))}"


def _check_settings(task: Task, where: str) -> None:
    """The class attributes a YAML file would hold, through the same schema."""
    settings = {"name": task.name, "version": task.version, "family": task.family,
                "description": task.description, "generation": dict(task.generation),
                "postprocess": list(task.postprocess_steps), "metrics": task.metric_specs()}
    try:
        TaskSettings.model_validate(settings)
    except ValidationError as err:
        found = [message.replace("postprocess", "postprocess_steps") for _, message in problems(err)]
        raise UsageError("\n".join(f"task {task.name!r} ({where}): {m}" for m in found)) from None


_register_shipped()
