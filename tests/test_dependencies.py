"""The declared dependencies agree with each other, so no release made overnight breaks a clone:
pyproject.toml bounds every range from above, constraints.txt pins every dependency the tests
install, and every pin (install.sh's torch included) lies within its package's range. Installing
the newest releases in range is a scheduled job's check (docs/install.md), not the suite's."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

try:
    import tomllib
except ImportError:  # Python 3.10: pytest brings tomli there
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
INSTALL_SH = (REPO / "scripts" / "install.sh").read_text(encoding="utf-8")
# extras install.sh does not install, so no pin was tested: vLLM needs a CUDA GPU, MeCab's
# dictionaries are large and only two BLEU tokenizers read them
UNTESTED_EXTRAS = {"vllm", "ja", "ko"}
# install.sh keeps a torch already installed (a CUDA build) and pins its own otherwise
PINNED_BY_INSTALL_SH = {"torch"}
UPPER = {"<", "<=", "==", "~=", "==="}


def _installed_extras() -> set[str]:
    found = re.search(r'-e "\.\[([\w,-]+)\]"', INSTALL_SH)
    assert found, "scripts/install.sh: no `pip install ... -e \".[extras]\"` line found"
    return set(found.group(1).split(","))


def _requirements(extras) -> list[tuple[str, Requirement]]:
    """(where it is declared, requirement), harness's own extras (`harness[models]`) left out."""
    found = [("dependencies", Requirement(r)) for r in PROJECT["dependencies"]]
    for extra in sorted(extras):
        found += [(f"[{extra}]", Requirement(r)) for r in PROJECT["optional-dependencies"][extra]]
    return [(where, r) for where, r in found if canonicalize_name(r.name) != "harness"]


def _pins() -> dict[str, tuple[int, Version]]:
    """constraints.txt as {canonical name: (line, version)}; one exact pin per line."""
    pins: dict[str, tuple[int, Version]] = {}
    lines = (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        line = line.split("#")[0].strip()
        if not line:
            continue
        pin = Requirement(line)
        specs = list(pin.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"constraints.txt:{number}: {line!r} is not name==version"
        name = canonicalize_name(pin.name)
        assert name not in pins, f"constraints.txt:{number}: {pin.name} pinned twice (first at line {pins[name][0]})"
        pins[name] = (number, Version(specs[0].version))
    for name, version in re.findall(r'"([\w-]+)==([\w.+]+)"', INSTALL_SH):
        if canonicalize_name(name) in PINNED_BY_INSTALL_SH:
            pins[canonicalize_name(name)] = (0, Version(version))
    return pins


def test_every_extra_is_installed_for_the_tests_or_named_untested():
    extras = set(PROJECT["optional-dependencies"])
    assert _installed_extras() <= extras, "scripts/install.sh installs an extra pyproject.toml lacks"
    assert extras - _installed_extras() - UNTESTED_EXTRAS == {"openai", "serving"}, \
        "a new extra: install it in scripts/install.sh (and pin it) or name it in UNTESTED_EXTRAS"
    # openai and serving are installed through the test extra: their requirements are its own
    test = {str(r) for _, r in _requirements({"test"})}
    assert {str(r) for _, r in _requirements({"openai", "serving"})} <= test


@pytest.mark.parametrize("where,requirement", _requirements(PROJECT["optional-dependencies"]),
                         ids=lambda x: str(x))
def test_every_range_has_an_upper_bound(where, requirement):
    assert any(spec.operator in UPPER for spec in requirement.specifier), \
        f"pyproject.toml {where}: {requirement} has no upper bound; add <NEXT_MAJOR"


@pytest.mark.parametrize("where,requirement", _requirements(_installed_extras()), ids=lambda x: str(x))
def test_every_tested_dependency_is_pinned(where, requirement):
    assert canonicalize_name(requirement.name) in _pins(), \
        f"constraints.txt: no pin for {requirement.name} (pyproject.toml {where})"


# every extra's requirements, the untested ones too where another requirement pins the package
@pytest.mark.parametrize("where,requirement", [(w, r) for w, r in _requirements(PROJECT["optional-dependencies"])
                                               if canonicalize_name(r.name) in _pins()],
                         ids=lambda x: str(x))
def test_every_pin_lies_within_its_range(where, requirement):
    line, version = _pins()[canonicalize_name(requirement.name)]
    place = f"constraints.txt:{line}" if line else "scripts/install.sh"
    assert requirement.specifier.contains(version, prereleases=True), \
        f"{place}: {requirement.name}=={version} is outside pyproject.toml {where}'s {requirement.specifier}"


def test_torch_stays_out_of_the_constraints():
    # a pin there would make pip replace the CUDA build install.sh keeps
    assert "torch" not in {n for n, (line, _) in _pins().items() if line}
    assert _pins()["torch"][0] == 0, "scripts/install.sh no longer names a torch==VERSION"
