"""Physical names: the one place a resource's AWS name is put together from the stack.

Every name is `<base>-<stack>[-<part>...]`: the base says what it is (a name from contracts/aws.py when the runtime
also knows it, such as a table, the stream, a queue or the lake bucket; else the project), the stack keeps dev and
prod apart in one account, and the parts tell siblings apart (`securebank-dev-alerts`, `SecureBank-Quarantine-dev`,
`securebank-data-lake-prod-access-logs`). Names whose service forbids hyphens change the separator (Glue databases,
log-group paths). The deployed names predate this helper and are kept as they are: renaming a table, the bucket or
the stream would replace it.
"""

from __future__ import annotations

PROJECT = "securebank"


def physical_name(stack: str, *parts: str, base: str = PROJECT, separator: str = "-") -> str:
    """`<base><sep><stack>[<sep><part>...]`; `base` defaults to the project."""
    if not stack:
        raise ValueError("a physical name needs the stack")
    return separator.join((base, stack, *parts))


def log_group_path(stack: str, *parts: str) -> str:
    """`/securebank/<stack>/<part>/...`: the stack's own log groups (API access logs, VPC flow logs)."""
    return "/" + physical_name(stack, *parts, separator="/")
