"""Every relative link in README.md and docs/*.md points to a file that exists."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# [text](target) and ![alt](target), outside code; a target ends at whitespace or ")"
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE = re.compile(r"`[^`\n]*`")


def links(page: Path) -> list[str]:
    text = CODE.sub("", FENCE.sub("", page.read_text(encoding="utf-8")))
    return LINK.findall(text)


def relative(target: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) and not target.startswith("#")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(page):
    missing = []
    for target in links(page):
        if not relative(target):
            assert not target.startswith("#"), f"{page.name}: in-page anchor {target}; link a page"
            continue
        path, _, anchor = target.partition("#")
        assert not anchor, f"{page.name}: {target}: link the page, not an anchor"
        if not (page.parent / path).exists():
            missing.append(target)
    assert not missing, f"{page.relative_to(REPO)}: links to missing files: {missing}"


def test_every_docs_page_is_in_the_readme_contents():
    readme = set(links(REPO / "README.md"))
    unlisted = [p.name for p in PAGES[1:] if f"docs/{p.name}" not in readme]
    assert not unlisted, f"docs pages the README does not link: {unlisted}"


def test_the_checker_finds_links():
    assert "docs/cli.md" in links(REPO / "README.md")
