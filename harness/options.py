"""One way for a plugin to declare its options: a frozen dataclass whose fields carry help.

    @dataclass(frozen=True)
    class BLEUOptions:
        tokenize: str = option("13a", "sacrebleu tokenizer", choices=("13a", "intl", "none"))
        lowercase: bool = option(False, "lower-case before scoring")
        smooth_value: float | None = option(None, "value for floor / add-k")

    parse_options(BLEUOptions, {"tokenize": "intl", "lowercase": "yes"}, "metric 'bleu'")

Contract:

* Field types: ``bool``, ``int``, ``float``, ``str``, any of those ``| None``, and
  ``tuple[str, ...]``. Defaults are immutable (the instance is frozen and hashable).
* Values arrive as text from a command line (``"2"``, ``"off"``) or already typed by YAML
  (``2``, ``False``); ``parse_options`` gives each the field's type. Booleans have one
  vocabulary: true/false, yes/no, on/off, 1/0, in any case. An optional non-text field
  also takes ``none``/``null``/empty as None. A single text for a tuple is a 1-tuple.
* An int field refuses 2.5 rather than truncating it; no field takes a bool but a bool.
* Choices are checked on given values; defaults are trusted.
* Every mistake is a UsageError that names ``what``, the option, the value and what was
  expected (the type, the choices, or the known options with a did-you-mean).
* ``describe_options`` gives the rows that listings (``harness metrics``) print.
"""
from __future__ import annotations

import types
import typing
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Callable, Mapping, Sequence

from harness.errors import UsageError, check_keys, did_you_mean

TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")
NULL_WORDS = ("none", "null", "")


def option(default: Any, help: str, choices: Sequence[Any] | None = None) -> Any:
    """A dataclass field with its help text and, optionally, the values it may take."""
    return field(default=default, metadata={"help": help,
                                            "choices": None if choices is None else tuple(choices)})


@dataclass(frozen=True)
class OptionRow:
    name: str
    type: str  # "int", "float or none", "list of str", ...
    default: Any
    help: str
    choices: tuple | None


def describe_options(cls: type) -> list[OptionRow]:
    hints = typing.get_type_hints(cls)
    return [OptionRow(f.name, _type_name(hints[f.name]), None if f.default is MISSING else f.default,
                      f.metadata.get("help", ""), f.metadata.get("choices")) for f in fields(cls)]


def parse_options(cls: type, given: Mapping[str, Any], what: str) -> Any:
    """An instance of the options dataclass ``cls`` from ``given`` (see the module's contract)."""
    known = {f.name: f for f in fields(cls)}
    check_keys(given, known, f"{what} option")
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in given.items():
        values[name] = _coerce(value, hints[name], f"{what}: {name}={value!r}")
        _check_choice(values[name], known[name].metadata.get("choices"), f"{what}: {name}={value!r}")
    return cls(**values)


def _check_choice(value: Any, choices: tuple | None, where: str) -> None:
    if choices is None or value is None or value in choices:
        return
    listed = ", ".join(map(str, choices))
    raise UsageError(f"{where} is not one of {listed}{did_you_mean(str(value), map(str, choices))}")


def _coerce(value: Any, kind: Any, where: str) -> Any:
    inner = _optional_of(kind)
    if inner is not None and (value is None or (
            inner is not str and isinstance(value, str) and value.strip().lower() in NULL_WORDS)):
        return None
    convert = _converter(inner or kind)
    try:
        return convert(value)
    except (TypeError, ValueError):
        words = f" ({'/'.join(TRUE_WORDS + FALSE_WORDS)})" if (inner or kind) is bool else ""
        raise UsageError(f"{where} is not a valid {_type_name(kind)}{words}") from None


def _optional_of(kind: Any) -> Any:
    """X for ``X | None``; None for any other type."""
    args = typing.get_args(kind)
    if typing.get_origin(kind) in (typing.Union, types.UnionType) and type(None) in args and len(args) == 2:
        return next(a for a in args if a is not type(None))
    return None


def _converter(kind: Any) -> Callable[[Any], Any]:
    if kind in _CONVERTERS:
        return _CONVERTERS[kind]
    if typing.get_origin(kind) is tuple and typing.get_args(kind) == (str, ...):
        return _to_str_tuple
    raise TypeError(f"option type {kind!r} is not supported (see harness.options)")


def _type_name(kind: Any) -> str:
    inner = _optional_of(kind)
    if inner is not None:
        return f"{_type_name(inner)} or none"
    if typing.get_origin(kind) is tuple:
        return "list of str"
    return getattr(kind, "__name__", str(kind))


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    word = value.strip().lower() if isinstance(value, str) else None
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise ValueError(value)


def _to_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return int(value)
    raise ValueError(value)


def _to_float(value: Any) -> float:
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return float(value)
    raise ValueError(value)


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # YAML reads `tokenize: 13` as a number
    raise ValueError(value)


def _to_str_tuple(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(item, str) for item in items):
        raise ValueError(value)
    return tuple(items)


_CONVERTERS: dict[Any, Callable[[Any], Any]] = {bool: _to_bool, int: _to_int, float: _to_float, str: _to_str}
