"""Run a workgroup's named Athena query with the specification's result reuse (24 hours).

Result reuse is a setting of each StartQueryExecution, not of the workgroup (neither the Athena API's
WorkGroupConfiguration nor pulumi-aws's Workgroup has one), so every query the project starts goes through
`start_query`, which asks Athena to return a stored result of the same query, database and parameters up to
ATHENA_RESULT_REUSE_MINUTES old instead of scanning again. Reuse needs engine version 3 (the workgroup pins it)
and the workgroup's own result configuration (it is enforced, so no query overrides it).

    python -m securebank.lab.named_queries --workgroup securebank-dev riskiest-merchants 2025-02-03
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from contracts.aws import ATHENA_RESULT_REUSE_MINUTES

RESULT_REUSE: dict[str, Any] = {
    "ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": ATHENA_RESULT_REUSE_MINUTES}
}


class UnknownNamedQuery(LookupError):
    """No named query of that name in the workgroup."""


def named_query(athena: Any, workgroup: str, name: str) -> dict[str, Any]:
    """The named query (Name, Database, QueryString, ...) called `name` in `workgroup`."""
    for page in athena.get_paginator("list_named_queries").paginate(WorkGroup=workgroup):
        for query_id in page.get("NamedQueryIds", []):
            query = athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]
            if query["Name"] == name:
                return dict(query)
    raise UnknownNamedQuery(f"no named query {name!r} in workgroup {workgroup!r}")


def start_query(athena: Any, workgroup: str, database: str, sql: str, parameters: Sequence[str] = ()) -> str:
    """Start `sql` in the workgroup with result reuse; the QueryExecutionId."""
    request: dict[str, Any] = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": database},
        "WorkGroup": workgroup,
        "ResultReuseConfiguration": RESULT_REUSE,
    }
    if parameters:
        request["ExecutionParameters"] = list(parameters)
    return str(athena.start_query_execution(**request)["QueryExecutionId"])


def start_named_query(athena: Any, workgroup: str, name: str, parameters: Sequence[str] = ()) -> str:
    query = named_query(athena, workgroup, name)
    return start_query(athena, workgroup, query["Database"], query["QueryString"], parameters)


def main(argv: Sequence[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(prog="python -m securebank.lab.named_queries", description=__doc__.split("\n")[0])
    parser.add_argument("--workgroup", required=True, help="e.g. securebank-dev")
    parser.add_argument("name", help="a named query, e.g. riskiest-merchants (securebank-<stack>- is optional)")
    parser.add_argument("parameters", nargs="*", help="its execution parameters, in order")
    args = parser.parse_args(argv)
    name = args.name if args.name.startswith(f"{args.workgroup}-") else f"{args.workgroup}-{args.name}"
    print(start_named_query(boto3.client("athena"), args.workgroup, name, args.parameters))
    return 0


if __name__ == "__main__":
    sys.exit(main())
