"""Physical names are put together in one place (components/naming.py), in one scheme: <base>-<stack>[-<part>...]."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from components.naming import log_group_path, physical_name

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [path for path in sorted((ROOT / "components").glob("*.py")) if path.name != "naming.py"]
SOURCES.append(ROOT / "__main__.py")
SEPARATORS = ("-", "_", "/")


def test_a_physical_name_is_base_then_stack_then_parts() -> None:
    assert physical_name("dev") == "securebank-dev"
    assert physical_name("dev", "alerts") == "securebank-dev-alerts"
    assert physical_name("prod", "us-west-2", "access-logs", base="securebank-data-lake") == (
        "securebank-data-lake-prod-us-west-2-access-logs"
    )
    assert physical_name("dev", base="SecureBank-Quarantine") == "SecureBank-Quarantine-dev"
    assert physical_name("dev", base="securebank", separator="_") == "securebank_dev"
    assert log_group_path("dev", "api-access") == "/securebank/dev/api-access"


def test_a_physical_name_needs_the_stack() -> None:
    with pytest.raises(ValueError, match="stack"):
        physical_name("", "alerts")


def _is_stack(node: ast.expr) -> bool:
    return ast.unparse(node) in {"stack", "args.stack", "config.stack"}


def names_formatted_outside_the_helper(path: Path, root: Path = ROOT) -> list[str]:
    """f-strings that glue the stack to a name with a separator (`f"securebank-{args.stack}"`, `f"{X}-{stack}"`)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.JoinedStr):
            continue
        values = node.values
        for index, value in enumerate(values):
            if not (isinstance(value, ast.FormattedValue) and _is_stack(value.value)):
                continue
            before = values[index - 1] if index else None
            after = values[index + 1] if index + 1 < len(values) else None
            glued = (isinstance(before, ast.Constant) and str(before.value).endswith(SEPARATORS)) or (
                isinstance(after, ast.Constant) and str(after.value).startswith(SEPARATORS)
            )
            if glued:
                found.append(f"{path.relative_to(root)}:{node.lineno} {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_module_formats_a_physical_name_itself(path: Path) -> None:
    assert names_formatted_outside_the_helper(path) == []


def test_the_check_finds_a_name_formatted_by_hand(tmp_path: Path) -> None:
    module = tmp_path / "leak.py"
    module.write_text(
        'a = f"securebank-{args.stack}-api"\nb = f"{QUEUE}-{stack}"\nc = f"SecureBank {args.stack}: keys"\n'
    )
    assert [line.split(" ", 1)[0] for line in names_formatted_outside_the_helper(module, tmp_path)] == [
        "leak.py:1",
        "leak.py:2",
    ]
