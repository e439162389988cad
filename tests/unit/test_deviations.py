"""docs/deviations.md is the one list of deviations from the specification: every row names its requirement and fills
what, why and cost; every "Deviation from the specification" comment in the code names a row by its ID."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEVIATIONS = ROOT / "docs" / "deviations.md"
HEADER = ("ID", "Requirement", "What the stack does", "Why", "Cost or risk")
MARKER = "deviation from the specification"
REFERENCE = re.compile(r"Deviation from the specification \(docs/deviations\.md, ([a-z0-9-]+)\)")
CODE_SUFFIXES = (".py", ".yaml", ".yml")
SKIPPED_DIRECTORIES = {"venv", "build", "tests", ".git", "__pycache__", ".hypothesis"}
# The deviations an audit of the specification against both stacks' plans found; none may silently leave the table.
KNOWN = {
    "sort-key",
    "stream-name",
    "stream-capacity",
    "parallelization",
    "merchant-index",
    "amount-index",
    "env-var-names",
    "glue-and-log-names",
    "processed-timestamp",
    "scheduled-tasks",
    "nat-gateways",
    "dr-stack-name",
}


def table_rows(text: str) -> list[list[str]]:
    """The cells of each row of the table whose header is HEADER; a row with another number of cells is refused."""
    lines = [line.strip() for line in text.splitlines()]
    header = "| " + " | ".join(HEADER) + " |"
    if header not in lines:
        raise ValueError(f"no table with the header {header}")
    rows = []
    for line in lines[lines.index(header) + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) != len(HEADER):
            raise ValueError(f"{len(cells)} cells instead of {len(HEADER)}: {line[:80]}")
        rows.append(cells)
    return rows


def incomplete(rows: list[list[str]]) -> list[str]:
    """`<ID>: <column>` for every empty cell (a requirement, what, why or cost left out)."""
    return [f"{row[0] or '?'}: {name}" for row in rows for name, cell in zip(HEADER, row, strict=True) if not cell]


def unreferenced_comments(sources: dict[str, str], ids: set[str]) -> list[str]:
    """`<file>:<line>` of each "Deviation from the specification" comment that names no row of the table."""
    found = []
    for name, text in sources.items():
        for number, line in enumerate(text.splitlines(), 1):
            if MARKER in line.lower():
                match = REFERENCE.search(line)
                if match is None or match[1] not in ids:
                    found.append(f"{name}:{number}")
    return found


def code_sources() -> dict[str, str]:
    sources = {}
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if path.suffix in CODE_SUFFIXES and not SKIPPED_DIRECTORIES & set(relative.parts) and path.is_file():
            sources[str(relative)] = path.read_text(encoding="utf-8")
    return sources


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    return table_rows(DEVIATIONS.read_text(encoding="utf-8"))


def test_every_deviation_names_its_requirement_what_why_and_cost(rows: list[list[str]]) -> None:
    assert rows
    assert incomplete(rows) == []
    ids = [row[0] for row in rows]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9-]+", identifier) for identifier in ids)


def test_the_known_deviations_are_all_in_the_table(rows: list[list[str]]) -> None:
    assert KNOWN - {row[0] for row in rows} == set()


def test_every_deviation_comment_in_the_code_names_a_row(rows: list[list[str]]) -> None:
    sources = code_sources()
    ids = {row[0] for row in rows}
    assert unreferenced_comments(sources, ids) == []
    cited = {match[1] for text in sources.values() for match in REFERENCE.finditer(text)}
    assert "sort-key" in cited  # contracts/aws.py: the scan reaches the code


def test_a_row_with_an_empty_cell_is_reported() -> None:
    text = "| " + " | ".join(HEADER) + " |\n|---|---|---|---|---|\n| x | the requirement |  | because | none |\n"
    assert incomplete(table_rows(text)) == ["x: What the stack does"]


def test_a_row_with_a_missing_cell_is_refused() -> None:
    text = "| " + " | ".join(HEADER) + " |\n|---|---|---|---|---|\n| x | the requirement | what | why |\n"
    with pytest.raises(ValueError, match="4 cells instead of 5"):
        table_rows(text)


def test_a_comment_without_a_row_or_with_an_unknown_row_is_reported() -> None:
    sources = {
        "a.py": "# Deviation from the specification: no row named\n",
        "b.py": "x = 1\n# Deviation from the specification (docs/deviations.md, no-such-row): ...\n",
        "c.py": "# Deviation from the specification (docs/deviations.md, sort-key): the sort key\n",
    }
    assert unreferenced_comments(sources, {"sort-key"}) == ["a.py:1", "b.py:2"]
