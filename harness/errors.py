"""User-facing errors: what was wrong, where, and what to do."""
from __future__ import annotations

import difflib
from typing import Iterable, Sequence


class HarnessError(Exception):
    """An error the CLI prints without a traceback and exits non-zero on."""


class UsageError(HarnessError):
    """Bad command-line input: unknown names, malformed options."""


class DataError(HarnessError):
    """Bad data: names the file and line, or the example id."""


class MissingDependency(HarnessError):
    def __init__(self, package: str | tuple[str, ...], extra: str | None = None, why: str = ""):
        names = (package,) if isinstance(package, str) else package
        fix = f"pip install 'harness[{extra}]'" if extra else f"pip install {' '.join(names)}"
        verb = "is" if len(names) == 1 else "are"
        super().__init__(f"{' and '.join(names)} {verb} required{(' ' + why) if why else ''}; "
                         f"run: {fix}")


def raise_all(errors: Sequence[HarnessError], heading: str, kind: type = HarnessError) -> None:
    """Raise the one error as it is, or all of them at once under ``heading``: a user fixes
    every problem in one go instead of one per attempt."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise kind(f"{heading}:\n" + "\n".join(f"  {err}".replace("\n", "\n  ") for err in errors))


def check_keys(given: Iterable[str], known: Iterable[str], what: str) -> None:
    """Reject the first unknown key: ``{what}: unknown 'x' (did you mean 'y'?); known: ...``."""
    known = list(known)
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise UsageError(f"{what}: unknown {unknown[0]!r}{did_you_mean(unknown[0], known)}; "
                         f"known: {', '.join(known) or 'none'}")


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.5)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
