"""The TransactionFlagged event's Detail: the case's facts, built once for every sender of the event.

transaction_id, customer_id, risk_score (a JSON number with the score's exact decimal text), is_fraud,
triggered_rules, reasons, policy_version, processed_at and the transaction's timestamp. No amount and no location
field. The reasons of the amount rules quote the amount (as the API shows them): the bus and the cases queue are
encrypted with the stack's KMS key (components/cases.py), and the alerts topic gets the case's id, score and rules
only, never the reasons.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from adapters.serialization import dumps, format_timestamp, transaction_to_body
from domain.ports import ScoredTransaction


def detail_fields(flag: ScoredTransaction) -> dict[str, Any]:
    """The Detail as an object, risk_score a Decimal (the Lambda runtime's encoder writes a Decimal as a JSON number
    with its exact text: the enrichment function returns this)."""
    txn, decision = flag.transaction, flag.decision
    score = decision.risk_score
    if not score.is_finite():
        raise ValueError(f"risk_score {score} is not a number JSON can carry")
    return {
        "risk_score": Decimal(score),
        "transaction_id": txn.transaction_id,
        "customer_id": txn.customer_id,
        "is_fraud": decision.is_fraud,
        "triggered_rules": list(decision.triggered_rules),
        "reasons": list(decision.reasons),
        "policy_version": decision.policy_version,
        "processed_at": format_timestamp(flag.processed_at),
        "timestamp": transaction_to_body(txn)["timestamp"],
    }


def detail(flag: ScoredTransaction) -> str:
    """The Detail as PutEvents takes it: JSON text, risk_score a number with the Decimal's exact text (json cannot
    write a Decimal as a number, and a float would round it)."""
    return detail_text(detail_fields(flag))


def detail_text(fields: dict[str, Any]) -> str:
    """`detail_fields`' object as JSON text, its risk_score written as the Decimal's exact text."""
    rest = dumps({name: value for name, value in fields.items() if name != "risk_score"})
    return f'{{"risk_score":{fields["risk_score"]},{rest[1:]}'


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """An EventBridge-style pattern of exact values (each leaf a list of allowed values, as FLAGGED_STREAM_FILTER
    is): every key present in `event` and matching. Prefix, numeric and exists matchers are not supported."""
    if not isinstance(event, dict):
        return False
    for key, wanted in pattern.items():
        if key not in event:
            return False
        if isinstance(wanted, dict):
            if not matches(wanted, event[key]):
                return False
        elif event[key] not in wanted:
            return False
    return True
