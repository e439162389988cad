"""The raw lake's key layout is exactly what the Athena table's partition projection enumerates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.aws import (
    ATHENA_PARTITION_KEYS,
    ATHENA_PROJECTION,
    RAW_PARTITION_TEMPLATE,
    RAW_TRANSACTIONS_PREFIX,
    raw_object_key,
    raw_partition,
)
from securebank.lab.athena import (
    parse_location,
    parse_predicate,
    projected_values,
    pruned_locations,
    template_keys,
)

projected_instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31, 23, 59, 59), timezones=st.just(UTC)
)


def test_the_template_uses_exactly_the_projected_partition_keys():
    assert tuple(template_keys(RAW_PARTITION_TEMPLATE)) == ATHENA_PARTITION_KEYS
    assert ATHENA_PROJECTION["projection.enabled"] == "true"


@given(projected_instants, st.text("0123456789abcdef-", min_size=1, max_size=12))
def test_every_archived_key_falls_in_a_projected_partition(instant, shard):
    key = raw_object_key(raw_partition(instant), shard, "1", "2")
    assert key.startswith(RAW_TRANSACTIONS_PREFIX)
    location = key[len(RAW_TRANSACTIONS_PREFIX) : key.rindex("/") + 1]

    values = parse_location(RAW_PARTITION_TEMPLATE, location)

    assert values == {
        "year": f"{instant.year}",
        "month": f"{instant.month:02d}",
        "day": f"{instant.day:02d}",
        "hour": f"{instant.hour:02d}",
    }
    for name, value in values.items():
        assert value in projected_values(ATHENA_PROJECTION, name)


@given(projected_instants)
def test_a_filter_on_all_four_keys_prunes_to_the_one_hour_the_archive_wrote(instant):
    where = (
        f"year = '{instant.year}' AND month = '{instant.month:02d}' "
        f"AND day = '{instant.day:02d}' AND hour = '{instant.hour:02d}'"
    )

    locations = list(pruned_locations(ATHENA_PROJECTION, RAW_PARTITION_TEMPLATE, parse_predicate(where)))

    assert locations == [raw_partition(instant)]


def test_a_day_filter_reads_twenty_four_hours_and_no_filter_reads_everything():
    day = parse_predicate("year = '2025' AND month = '01' AND day = '07'")
    assert len(list(pruned_locations(ATHENA_PROJECTION, RAW_PARTITION_TEMPLATE, day))) == 24
    assert sum(1 for _ in pruned_locations(ATHENA_PROJECTION, RAW_PARTITION_TEMPLATE, {})) == 7 * 12 * 31 * 24


def test_an_unpadded_month_matches_no_projected_partition():
    assert list(pruned_locations(ATHENA_PROJECTION, RAW_PARTITION_TEMPLATE, {"month": "1"})) == []
    assert "01" in projected_values(ATHENA_PROJECTION, "month")


def test_only_equality_predicates_are_understood():
    with pytest.raises(ValueError, match="not an equality"):
        parse_predicate("year > '2024'")
