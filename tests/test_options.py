"""harness.options: one declaration and one coercer for every plugin's options.

Inputs are what arrives from a command line (text) and from YAML (already typed values).
"""
from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass

import pytest

from harness.errors import UsageError
from harness.options import OptionRow, describe_options, option, parse_options


@dataclass(frozen=True)
class Example:
    flag: bool = option(False, "a switch")
    count: int = option(3, "how many")
    ratio: float = option(0.5, "a fraction")
    mode: str = option("fast", "how", choices=("fast", "exact"))
    limit: int | None = option(None, "a cap, or none")
    label: str | None = option(None, "free text, or none")
    stops: tuple[str, ...] = option((), "texts to stop at")


@pytest.mark.parametrize("key, given, expected", [
    # booleans: one vocabulary, any case, text or YAML-typed
    *[("flag", word, True) for word in ("true", "TRUE", "yes", "Yes", "on", "ON", "1", " true ", True, 1)],
    *[("flag", word, False) for word in ("false", "False", "no", "NO", "off", "Off", "0", False, 0)],
    ("count", "2", 2), ("count", 2, 2), ("count", "-7", -7),
    ("ratio", "0.25", 0.25), ("ratio", 1, 1.0), ("ratio", "1e-3", 0.001), ("ratio", 2.5, 2.5),
    ("mode", "exact", "exact"),
    ("limit", "5", 5), ("limit", 5, 5), ("limit", None, None), ("limit", "none", None), ("limit", "NULL", None),
    ("limit", "", None),
    ("label", "none", "none"),  # text fields keep the word: 'none' is a valid tokenizer name
    ("label", None, None), ("label", 13, "13"),  # YAML reads `label: 13` as a number
    ("stops", "\n", ("\n",)), ("stops", ["a", "b"], ("a", "b")), ("stops", ("a",), ("a",)),
])
def test_values_get_the_fields_type(key, given, expected):
    parsed = parse_options(Example, {key: given}, "plugin 'x'")
    assert getattr(parsed, key) == expected and type(getattr(parsed, key)) is type(expected)


@pytest.mark.parametrize("given, message", [
    ({"flag": "maybe"}, r"plugin 'x': flag='maybe' is not a valid bool \(true/yes/on/1/false/no/off/0\)"),
    ({"flag": "y"}, "is not a valid bool"),
    ({"flag": 2}, "flag=2 is not a valid bool"),
    ({"count": "two"}, "count='two' is not a valid int"),
    ({"count": 2.5}, "count=2.5 is not a valid int"),
    ({"count": True}, "count=True is not a valid int"),
    ({"ratio": "a little"}, "ratio='a little' is not a valid float"),
    ({"ratio": False}, "is not a valid float"),
    ({"limit": "lots"}, "limit='lots' is not a valid int or none"),
    ({"label": True}, "label=True is not a valid str"),
    ({"stops": [1, 2]}, "is not a valid list of str"),
    ({"mode": "fsat"}, r"mode='fsat' is not one of fast, exact \(did you mean 'fast'\?\)"),
    ({"mdoe": "fast"}, r"plugin 'x' option: unknown 'mdoe' \(did you mean 'mode'\?\); known: flag, count"),
])
def test_mistakes_name_the_option_the_value_and_what_was_expected(given, message):
    with pytest.raises(UsageError, match=message):
        parse_options(Example, given, "plugin 'x'")


def test_defaults_fill_the_rest_and_the_result_is_frozen():
    parsed = parse_options(Example, {"count": "9"}, "plugin 'x'")
    assert parsed == Example(count=9) and hash(parsed) == hash(Example(count=9))
    with pytest.raises(FrozenInstanceError):
        parsed.count = 1


def test_describe_options_gives_listing_rows_in_declaration_order():
    rows = describe_options(Example)
    assert [r.name for r in rows] == ["flag", "count", "ratio", "mode", "limit", "label", "stops"]
    assert rows[3] == OptionRow("mode", "str", "fast", "how", ("fast", "exact"))
    assert [r.type for r in rows] == ["bool", "int", "float", "str", "int or none", "str or none", "list of str"]


def test_an_unsupported_field_type_is_a_programming_error():
    @dataclass(frozen=True)
    class Odd:
        items: list = option(None, "a list")
    with pytest.raises(TypeError, match="not supported"):
        parse_options(Odd, {"items": "a"}, "plugin 'odd'")


def test_every_registered_metric_declares_options_this_way():
    from harness.registry import metrics
    for name, cls in metrics.items():
        rows = describe_options(cls.Options)
        assert all(row.help for row in rows), f"{name}: an option without help"
        assert parse_options(cls.Options, {}, name) == cls.Options()
