"""Signatures: the metric name and every setting that changes its number, as a record.

``bleu|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0|data:3fa9c1d2`` is
``Signature("bleu", (("nrefs", "1"), ("case", "mixed"), ...))``: fields keep their order,
so ``format()`` reproduces the text byte for byte and ``parse(format())`` gives the record
back. Two scores are comparable exactly when their signatures are equal; ``diff`` names
the fields that differ.

A bare token without ``field:`` (third-party metrics, records written before every field
had a name) parses as a field whose value is None and formats back as the bare token, so
any signature text round-trips.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

BOOTSTRAP_FIELDS = ("bs", "seed")


class FieldDiff(NamedTuple):
    """One difference between two signatures; None where a side lacks the field."""

    field: str  # "metric" for the metric names themselves
    this: str | None
    other: str | None

    def __str__(self) -> str:
        return f"{self.field}: {_shown(self.this)} vs {_shown(self.other)}"


def _shown(value: str | None) -> str:
    return "missing" if value is None else value


@dataclass(frozen=True)
class Signature:
    metric: str
    fields: tuple[tuple[str, str | None], ...] = ()

    def __post_init__(self) -> None:
        _check_token(self.metric, "metric name")
        names = [name for name, _ in self.fields]
        for name, value in self.fields:
            _check_token(name, "field name", colon=False)
            if value is not None:
                _check_token(value, f"value of {name!r}", empty=True)
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"signature {self.metric!r}: field {duplicated[0]!r} appears twice")

    @classmethod
    def of(cls, metric: str, *pairs: tuple[str, Any]) -> "Signature":
        """Fields from values as sacrebleu prints them: booleans as yes/no, None left out."""
        return cls(metric, tuple((name, _text(value)) for name, value in pairs if value is not None))

    @classmethod
    def parse(cls, text: str) -> "Signature":
        metric, *tokens = text.split("|")
        pairs = []
        for token in tokens:
            name, sep, value = token.partition(":")
            pairs.append((name, value) if sep else (token, None))
        return cls(metric, tuple(pairs))

    def format(self) -> str:
        tokens = [name if value is None else f"{name}:{value}" for name, value in self.fields]
        return "|".join([self.metric, *tokens])

    __str__ = format

    def get(self, name: str, default: str | None = None) -> str | None:
        return dict(self.fields).get(name, default)

    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)

    def with_field(self, name: str, value: Any) -> "Signature":
        """This signature with ``name`` set: replaced in place, or appended."""
        if name in self.names():
            return Signature(self.metric, tuple((n, _text(value) if n == name else v) for n, v in self.fields))
        return Signature(self.metric, (*self.fields, (name, _text(value))))

    def without(self, *names: str) -> "Signature":
        return Signature(self.metric, tuple((n, v) for n, v in self.fields if n not in names))

    def with_bootstrap(self, resamples: int, seed: int | None) -> "Signature":
        """The signature of a bootstrap interval around this score: ``bs:1000|seed:12345``.

        sacrebleu names its bootstrap settings as signature fields, right after ``nrefs``,
        and only on a score that has a confidence interval: they change the interval, never
        the score. The score's own signature therefore stays without them (two scores are
        comparable whatever their bootstraps) and the interval gets this one; for BLEU and
        chrF its text is sacrebleu's ``--confidence`` signature.
        """
        rest = self.without(*BOOTSTRAP_FIELDS)
        at = rest.names().index("nrefs") + 1 if "nrefs" in rest.names() else len(rest.fields)
        added = (("bs", str(resamples)), ("seed", str(seed).lower()))
        return Signature(self.metric, (*rest.fields[:at], *added, *rest.fields[at:]))

    def diff(self, other: "Signature") -> list[FieldDiff]:
        """The metric name and fields that differ, in this signature's order, then the other's."""
        out = [FieldDiff("metric", self.metric, other.metric)] if self.metric != other.metric else []
        mine, theirs = dict(self.fields), dict(other.fields)
        for name in (*self.names(), *(n for n in other.names() if n not in mine)):
            if name not in mine or name not in theirs or mine[name] != theirs[name]:
                out.append(FieldDiff(name, _present(mine, name), _present(theirs, name)))
        return out


def _present(fields: dict, name: str) -> str | None:
    if name not in fields:
        return None
    return name if fields[name] is None else fields[name]  # a bare token is its own value


def _text(value: Any) -> str:
    return ("yes" if value else "no") if isinstance(value, bool) else str(value)


def _check_token(text: Any, what: str, colon: bool = True, empty: bool = False) -> None:
    if not isinstance(text, str) or (not text and not empty) or "|" in text or (not colon and ":" in text):
        raise ValueError(f"signature {what} {text!r} must be non-empty text without '|'"
                         f"{'' if colon else ' or :'}")


@dataclass(frozen=True)
class Comparability:
    """Whether two scores can be compared, and the signature fields that say why not."""

    differences: tuple[FieldDiff, ...]

    @property
    def ok(self) -> bool:
        return not self.differences

    def explain(self) -> str:
        return "; ".join(map(str, self.differences)) or "comparable"


def comparability(a: Any, b: Any) -> Comparability:
    """Two MetricResults, Signatures or signature texts: comparable exactly when equal."""
    return Comparability(tuple(_signature(a).diff(_signature(b))))


def _signature(item: Any) -> Signature:
    if isinstance(item, Signature):
        return item
    if isinstance(item, str):
        return Signature.parse(item)
    return _signature(item.signature)  # a MetricResult
