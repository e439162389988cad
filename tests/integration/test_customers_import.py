"""customers import on moto: the imported attributes survive the processor's later transactions, a repeat changes
nothing, a bad file writes nothing, and an import racing the processor loses neither writer's change."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3

from adapters.dynamodb_profiles import DynamoDbProfileRepository
from handlers.processor import handle
from securebank.__main__ import main
from securebank.ops.customers_import import ImportReport, import_customers
from tests.conftest import Resources, kinesis_event, transaction_body
from tests.integration.test_processor import dependencies, failures

NOW = datetime(2024, 3, 2, tzinfo=UTC)
KYC = (
    b"customer_id,risk_profile,account_created,home_latitude,home_longitude,timezone\n"
    b"old,high,2019-05-01T09:00:00Z,35.6762,139.6503,Asia/Tokyo\n"  # seen before the import
    b"new,medium,2020-01-15T00:00:00+01:00,48.8566,2.3522,Europe/Paris\n"  # first seen after it
)


def store(resources: Resources, client: Any = None) -> DynamoDbProfileRepository:
    return DynamoDbProfileRepository(client or resources.client("dynamodb"), resources.customers_table)


def run_import(resources: Resources, data: bytes = KYC, client: Any = None) -> ImportReport:
    return import_customers(store(resources, client), data, csv_format=True, now=NOW)


def item(resources: Resources, customer: str) -> dict[str, Any]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(resources.customers_table)
    found: dict[str, Any] = table.get_item(Key={"customer_id": customer}, ConsistentRead=True)["Item"]
    return found


def imported(profile_item: dict[str, Any]) -> tuple[Any, ...]:
    home = profile_item["location"]
    return (profile_item["assigned_risk"], profile_item["risk_profile"], profile_item["account_created"],
            float(home["latitude"]), float(home["longitude"]), profile_item["timezone"])  # fmt: skip


def test_imported_attributes_survive_later_transactions(make_resources: Callable[[], Resources]):
    resources = make_resources()
    deps = dependencies(resources)
    assert failures(handle(kinesis_event([transaction_body("old")]), deps)) == []

    report = run_import(resources)

    assert (report.ok, report.created, report.updated, report.unchanged) == (True, 1, 1, 0)
    bodies = [transaction_body(c, timestamp=f"2024-03-01T1{n}:00:00Z") for n, c in enumerate(["new", "old", "new"])]
    assert failures(handle(kinesis_event(bodies), deps)) == []
    old, new = item(resources, "old"), item(resources, "new")
    assert imported(old) == ("high", "high", "2019-05-01T09:00:00Z", 35.6762, 139.6503, "Asia/Tokyo")
    assert imported(new) == ("medium", "medium", "2020-01-14T23:00:00Z", 48.8566, 2.3522, "Europe/Paris")
    assert (old["total_transactions"], old["version"]) == (2, 3)  # two transactions and the import
    assert (new["total_transactions"], new["version"]) == (2, 3)  # opened by the import at 1
    # 50.00 USD since the imported account_created: 1,507 days, 49.5 months
    assert (new["spend_currency"], new["average_monthly_spend"]) == ("USD", Decimal("1.01"))


def test_importing_the_same_file_twice_changes_nothing_the_second_time(make_resources: Callable[[], Resources]):
    resources = make_resources()
    assert run_import(resources).created == 2
    first = {c: item(resources, c) for c in ("old", "new")}

    again = run_import(resources)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert {c: item(resources, c) for c in ("old", "new")} == first


def test_a_file_with_a_bad_row_writes_nothing_and_the_command_names_every_bad_line(
    make_resources: Callable[[], Resources], tmp_path, capsys, monkeypatch
):
    resources = make_resources()
    path = tmp_path / "kyc.csv"
    path.write_bytes(KYC + b"bad id,low,,,,\nann,,,,,Mars/Olympus\n")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    code = main(["customers", "import", "--file", str(path), "--table", resources.customers_table])

    assert code == 1
    errors = capsys.readouterr().err.splitlines()
    assert errors == [f"{path}: line 4: customer_id: must be 1 to 64 letters, digits, '-' or '_'",
                      f"{path}: line 5: timezone: must be an IANA time zone name, e.g. Europe/Paris"]  # fmt: skip
    scan = resources.client("dynamodb").scan(TableName=resources.customers_table)
    assert scan["Items"] == []


def _once(action: Callable[[], object]) -> Callable[..., None]:
    done: list[bool] = []

    def hook(**_: Any) -> None:
        if not done:
            done.append(True)
            action()

    return hook


def test_an_import_between_the_processors_read_and_commit_makes_the_commit_retry(
    make_resources: Callable[[], Resources],
):
    resources = make_resources()
    other = boto3.Session(region_name="us-east-1").client("dynamodb")  # the import's: no hooks
    deps_before = dependencies(resources)
    assert failures(handle(kinesis_event([transaction_body("old")]), deps_before)) == []
    resources.session.events.register(
        "before-call.dynamodb.TransactWriteItems", _once(lambda: run_import(resources, client=other).created)
    )
    deps = dependencies(resources)  # its clients have the hook: the import runs after the profiles were read
    event = kinesis_event([transaction_body("old", timestamp="2024-03-01T13:00:00Z")])

    first = handle(event, deps)
    assert len(failures(first)) == 1  # the profile moved: not applied, to be redelivered
    assert item(resources, "old")["total_transactions"] == 1
    assert failures(handle(event, deps)) == []  # the redelivery, on the imported profile

    old = item(resources, "old")
    assert imported(old)[0] == "high"
    assert (old["total_transactions"], old["version"]) == (2, 3)


def test_a_commit_between_the_imports_read_and_write_makes_the_import_read_again(
    make_resources: Callable[[], Resources],
):
    resources = make_resources()
    deps = dependencies(resources)
    assert failures(handle(kinesis_event([transaction_body("old")]), deps)) == []
    later = kinesis_event([transaction_body("old", timestamp="2024-03-01T13:00:00Z")])
    hooked = boto3.Session(region_name="us-east-1")
    hooked.events.register("before-call.dynamodb.PutItem", _once(lambda: _expect_applied(handle(later, deps))))

    report = run_import(resources, client=hooked.client("dynamodb"))

    assert (report.ok, report.retried, report.updated, report.created) == (True, 1, 1, 1)
    old = item(resources, "old")
    assert imported(old)[0] == "high"
    assert (old["total_transactions"], old["version"]) == (2, 3)  # the processor's transaction is kept


def _expect_applied(response: dict[str, Any]) -> None:
    assert failures(response) == []


def test_the_command_imports_a_good_file_and_a_dry_run_writes_nothing(
    make_resources: Callable[[], Resources], tmp_path, capsys, monkeypatch
):
    resources = make_resources()
    path = tmp_path / "kyc.jsonl"
    path.write_text('{"customer_id": "cust_1", "risk_profile": "high"}\n')
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    command = ["customers", "import", "--file", str(path), "--table", resources.customers_table]

    assert main([*command, "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 1
    assert resources.client("dynamodb").scan(TableName=resources.customers_table)["Items"] == []

    assert main(command) == 0
    assert item(resources, "cust_1")["assigned_risk"] == "high"
