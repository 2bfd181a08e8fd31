"""One registry mechanism for tasks, models and metrics.

In-tree plugins register with a decorator (``@models.register("hf-causal")``) in modules
that keep heavy imports (torch, pycocoevalcap) inside functions, so listing is fast. The
registry finds them itself: every module of its packages whose source calls
``<kind>.register(`` is imported, so a new backend or metric is one file, named nowhere else.
Third-party packages add an entry point in the group ``harness.<kind>`` whose value is
either the plugin itself or a module that registers plugins when imported:

    [project.entry-points."harness.models"]
    my-model = "my_pkg.model:MyModel"
"""
from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
from importlib.metadata import entry_points
from typing import Callable, Generic, Iterator, TypeVar

from harness.errors import UsageError, did_you_mean

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str, packages: tuple[str, ...] = (), modules: tuple[str, ...] = ()):
        self.kind = kind
        self.group = f"harness.{kind}"
        self._packages = packages  # searched for modules that register (see _registering)
        self._builtin_modules = modules  # imported as they are
        self._items: dict[str, T] = {}
        self._lazy: dict[str, str] = {}  # name -> "module:attr" from entry points
        self._loaded = False

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(obj: T) -> T:
            if name in self._items and self._items[name] is not obj:
                raise ValueError(f"{self.kind} {name!r} registered twice: "
                                 f"{self._items[name]!r} and {obj!r}")
            self._items[name] = obj
            try:
                obj.registered_name = name  # type: ignore[attr-defined]
            except (AttributeError, TypeError):
                pass
            return obj
        return decorator

    def _load(self) -> None:
        if self._loaded:
            return
        for module in (*self._builtin_modules, *self._registering()):
            importlib.import_module(module)
        for ep in entry_points(group=self.group):
            if ep.name not in self._items:
                self._lazy[ep.name] = ep.value
        self._loaded = True  # only once every import succeeded, so a failure shows again

    def _registering(self) -> list[str]:
        """The modules of ``packages`` that register a plugin of this kind. Read, not imported,
        to find out: importing every module would load torch through the decoding helpers."""
        decorator = re.compile(rf"\b{self.kind}\.register\(")
        found = []
        for package in self._packages:
            for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
                name = f"{package}.{info.name}"
                spec = importlib.util.find_spec(name)
                if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
                    continue
                with open(spec.origin, encoding="utf-8") as f:
                    if decorator.search(f.read()):
                        found.append(name)
        return found

    def names(self) -> list[str]:
        self._load()
        return sorted(set(self._items) | set(self._lazy))

    def get(self, name: str) -> T:
        self._load()
        if name not in self._items and name in self._lazy:
            module, _, attr = self._lazy.pop(name).partition(":")
            obj = importlib.import_module(module)
            if attr:
                for part in attr.split("."):
                    obj = getattr(obj, part)
                self.register(name)(obj)  # type: ignore[arg-type]
        if name not in self._items:
            raise UsageError(f"unknown {self.kind[:-1]} {name!r}{did_you_mean(name, self.names())}; "
                             f"`harness {self.kind}` lists them")
        return self._items[name]

    def items(self) -> Iterator[tuple[str, T]]:
        for name in self.names():
            yield name, self.get(name)


tasks: Registry = Registry("tasks", modules=("harness.task",))
models: Registry = Registry("models", packages=("harness.models", "harness.models.hf"))
metrics: Registry = Registry("metrics", packages=("harness.metrics",))
