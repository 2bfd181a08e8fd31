"""The run key: what makes a run the run it is, defined once.

Two runs with equal keys are the same experiment: ``sweep`` skips a checkpoint only when a
finished run has its key, the reports tell two runs of one model apart by the fields their
keys differ in, and the shards of one run find each other by the key (less the fields that
may differ between hosts, which the merge then checks). Everything that can change a
generation, a score or its confidence interval is in it; nothing else is (not the run id, the
time, the host or the thread count).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict

# fields a job array's shards may see differently on different hosts (a CUDA and a CPU node,
# a copy of the weights): left out of their shared folder's name, checked by the merge instead
HOST_FIELDS = ("weights", "output_settings")


class RunKey(BaseModel):
    """What was asked and what it ran on; see ``digest`` and ``differences``."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    model: str
    """The model spec as given: ``hf-seq2seq:t5-small``, ``lead-3``."""
    model_args: dict[str, Any] = {}
    """--model-args as given."""
    weights: dict[str, str] = {}
    """The model's fingerprint: locator, resolved revision, content hash where known."""
    output_settings: dict[str, Any] = {}
    """What the adapter says changes an output besides weights and request (dtype, device,
    truncation, templates, its code version)."""
    task: str
    task_version: int
    data: str
    """sha256 over the examples asked for (``TaskInfo.data_fingerprint``)."""
    limit: int | None = None
    generation: dict[str, Any]
    """The decoding settings as resolved (the task's, then --gen-kwargs); their seed only
    when sampling, as in the generation cache's key."""
    postprocess: list[str] = []
    metrics: list[dict[str, Any]] = []
    """Each metric as asked for, with its options, in scoring order."""
    seed: int
    """Sampling, when the generation samples, and the bootstrap's resamples always."""
    n_bootstrap: int

    def fields_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def digest(self, without: Iterable[str] = ()) -> str:
        """A short hash of the key (less ``without``): equal digests, the same run."""
        fields = {k: v for k, v in self.fields_dict().items() if k not in set(without)}
        text = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def differences(self, other: "RunKey") -> list[str]:
        """The field names whose values differ, in the key's order."""
        mine, theirs = self.fields_dict(), other.fields_dict()
        return [name for name in mine if mine[name] != theirs[name]]


def metric_entries(specs: Sequence[str | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Metric specs as the key stores them: ``"bleu"`` and ``{"name": "bleu"}`` alike."""
    return [{"name": s} if isinstance(s, str) else dict(s) for s in specs]


def describe_value(field: str, value: Any, others: Sequence[Any] = ()) -> str:
    """A short text for one key field's value, for labels like ``lead-3 [postprocess: none]``.
    Dicts show only the entries that differ from ``others``' (``max_new_tokens=8``)."""
    if isinstance(value, dict) and others and all(isinstance(o, dict) for o in others):
        keys = [k for k in sorted(set(value).union(*others))
                if any(o.get(k) != value.get(k) for o in others)]
        return ", ".join(f"{k}={_short(value.get(k))}" for k in keys) or "{}"
    if field == "postprocess":
        return ",".join(value) or "none"
    if field == "metrics":
        return ",".join(_metric_text(m) for m in value)
    if field in ("data", "weights") and isinstance(value, (str, dict)):
        text = value if isinstance(value, str) else value.get("weights") or json.dumps(value, sort_keys=True)
        return text[:8] if len(text) > 12 and " " not in text else text
    return _short(value)


def _metric_text(spec: Mapping[str, Any]) -> str:
    options = ";".join(f"{k}={v}" for k, v in spec.items() if k != "name")
    return f"{spec['name']}({options})" if options else str(spec["name"])


def _short(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return ",".join(map(_short, value)) or "none"
    if isinstance(value, dict):
        return ",".join(f"{k}={_short(v)}" for k, v in sorted(value.items())) or "{}"
    return str(value)
