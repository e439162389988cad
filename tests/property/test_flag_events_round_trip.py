"""Property: any flagged transaction the processor stores, read back from its stream record's NewImage by the pipe's
enrichment, gives the TransactionFlagged Detail built from the scored transaction itself (what the processor's own
PutEvents sent before the outbox): the same JSON text, except that the transaction's timestamp is the stored instant
in UTC (the item keeps the instant, not the client's offset, as GET /v1/transactions shows it)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from adapters.flag_detail import detail, detail_text
from adapters.items import scored_to_item, to_attribute_values
from domain.ports import ScoredTransaction
from domain.rules import score
from handlers.flag_events import lambda_handler
from tests.strategies import policies, timestamps, transactions


@st.composite
def flags(draw: st.DrawFn, *, in_utc: bool = False) -> ScoredTransaction:
    txn = draw(transactions())
    if in_utc:
        txn = attrs.evolve(txn, timestamp=txn.timestamp.astimezone(UTC))
    decision = score(draw(policies()), None, txn)
    risk = draw(st.decimals(min_value=Decimal(0), max_value=Decimal(2), places=draw(st.integers(0, 6))))
    flagged = attrs.evolve(decision, is_fraud=True, risk_score=risk)
    processed_at = draw(timestamps()) + timedelta(microseconds=draw(st.integers(0, 999_999)))
    return ScoredTransaction(txn, flagged, processed_at)


def stream_record(item: dict[str, Any]) -> dict[str, Any]:
    return {"eventName": "INSERT", "dynamodb": {"NewImage": to_attribute_values(item)}}


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


@given(flags())
def test_the_enrichment_gives_the_detail_of_the_scored_transaction(flag: ScoredTransaction):
    [out] = lambda_handler([stream_record(scored_to_item(flag))], None)
    sent = json.loads(detail(flag), parse_float=Decimal)
    assert parse_timestamp(out.pop("timestamp")) == parse_timestamp(sent.pop("timestamp")) == flag.transaction.timestamp
    assert out == sent
    assert out["risk_score"] == flag.decision.risk_score


@given(flags(in_utc=True))
def test_a_transaction_in_utc_gives_the_same_json_text(flag: ScoredTransaction):
    [out] = lambda_handler([stream_record(scored_to_item(flag))], None)
    assert detail_text(out) == detail(flag)
