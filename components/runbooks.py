"""Every alarm's description ends with a link to its section of docs/runbooks.md (what it means, how to confirm it,
what to do). tests/infra/test_monitoring.py checks that each link names an existing section."""

from __future__ import annotations

RUNBOOKS = "docs/runbooks.md"


def runbook_link(anchor: str) -> str:
    """`docs/runbooks.md#<anchor>`: the anchor is the GitHub anchor of the section's heading."""
    return f"{RUNBOOKS}#{anchor}"


def described(text: str, anchor: str) -> str:
    """An alarm description: what crossed which line, then where the runbook is (a relative link, as text)."""
    return f"{text}. Runbook: {runbook_link(anchor)}"
