"""Queries the project starts ask Athena for the specification's 24-hour result reuse (a per-query setting)."""

from __future__ import annotations

from typing import Any

import pytest

from components.athena import NAMED_QUERIES
from contracts.aws import ATHENA_RESULT_REUSE_MINUTES


def _recording(athena: Any) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    athena.meta.events.register(
        "provide-client-params.athena.StartQueryExecution", lambda params, **_: sent.append(params)
    )
    return sent


def _workgroup_with_queries(athena: Any) -> None:
    athena.create_work_group(Name="securebank-dev", Configuration={"EnforceWorkGroupConfiguration": True})
    for name, spec in NAMED_QUERIES.items():
        athena.create_named_query(
            Name=f"securebank-dev-{name}", Database="securebank_dev", QueryString=spec.sql, WorkGroup="securebank-dev"
        )


def test_a_named_query_runs_with_its_parameters_and_reuses_results_for_a_day(aws_session: Any) -> None:
    from securebank.lab.named_queries import start_named_query

    athena = aws_session.client("athena")
    _workgroup_with_queries(athena)
    sent = _recording(athena)

    execution = start_named_query(athena, "securebank-dev", "securebank-dev-riskiest-merchants", ["2025-02-03"])

    [request] = sent
    assert request["ResultReuseConfiguration"] == {
        "ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": 24 * 60}
    }
    assert ATHENA_RESULT_REUSE_MINUTES == 1440
    assert request["QueryString"] == NAMED_QUERIES["riskiest-merchants"].sql
    assert request["ExecutionParameters"] == ["2025-02-03"]
    assert (request["WorkGroup"], request["QueryExecutionContext"]) == (
        "securebank-dev",
        {"Database": "securebank_dev"},
    )
    assert "ResultConfiguration" not in request  # an overridden result configuration would turn reuse off
    assert athena.get_query_execution(QueryExecutionId=execution)["QueryExecution"]["QueryExecutionId"] == execution


def test_an_unknown_named_query_is_refused_before_anything_runs(aws_session: Any) -> None:
    from securebank.lab.named_queries import UnknownNamedQuery, start_named_query

    athena = aws_session.client("athena")
    _workgroup_with_queries(athena)
    sent = _recording(athena)

    with pytest.raises(UnknownNamedQuery, match="securebank-dev-nope"):
        start_named_query(athena, "securebank-dev", "securebank-dev-nope")
    assert sent == []


def test_the_command_line_names_a_query_without_its_stack_prefix(aws_session: Any, capsys: Any) -> None:
    from securebank.lab.named_queries import main

    athena = aws_session.client("athena")
    _workgroup_with_queries(athena)

    assert main(["--workgroup", "securebank-dev", "customer-profile-snapshot", "2025-02-03", "c1"]) == 0
    execution = capsys.readouterr().out.strip()
    query = athena.get_query_execution(QueryExecutionId=execution)["QueryExecution"]["Query"]
    assert query == NAMED_QUERIES["customer-profile-snapshot"].sql
