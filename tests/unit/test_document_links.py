"""The project's documents stand alone: every relative link in README.md and docs/*.md names a file in the
repository (a fresh clone has nothing beside it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_relative_link_resolves_inside_the_repository(document: Path):
    links = [m.group(1) for m in LINK.finditer(document.read_text(encoding="utf-8"))]
    for link in links:
        if re.match(r"[a-z]+:", link):
            raise AssertionError(f"{document.name} links outside the repository: {link}")
        target = (document.parent / link.split("#", 1)[0]).resolve()
        assert target.is_relative_to(ROOT), f"{document.name}: {link} leaves the repository"
        assert target.exists(), f"{document.name}: {link} does not exist"
