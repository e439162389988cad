"""The merchant-risk snapshot a daily job publishes (config/merchant-risk/DATE.json) <-> MerchantRisk, bounded."""

from __future__ import annotations

import json
import re
from datetime import date

from adapters.serialization import loads
from contracts.aws import (
    MERCHANT_RISK_MAX_COUNT,
    MERCHANT_RISK_MAX_FRAUDS,
    MERCHANT_RISK_MAX_MERCHANT_DAYS,
    MERCHANT_RISK_MAX_MERCHANTS,
)
from domain.merchant_risk import KNOWN, MerchantDay, MerchantRisk


class InvalidMerchantRisk(ValueError):
    """A merchant-risk snapshot that cannot be read."""


def merchant_risk_to_json(risk: MerchantRisk, as_of: date) -> str:
    """A published snapshot: per merchant and UTC day, [transactions, confirmed frauds known by `as_of`]."""
    merchants = {
        merchant: {
            date.fromordinal(day).isoformat(): [entry.transactions, len(entry.known_from)]
            for day, entry in sorted(by_day.items())
        }
        for merchant, by_day in sorted(risk.merchants.items())
    }
    return json.dumps({"as_of": as_of.isoformat(), "merchants": merchants}, separators=(",", ":")) + "\n"


def _day_counts(counts: object, where: str) -> tuple[int, int]:
    """[transactions, frauds] of one merchant and day, integers with 0 <= frauds <= transactions < the bound."""
    if type(counts) is not list or len(counts) != len(("transactions", "frauds")):
        raise ValueError(f"{where}: must be [transactions, frauds]")
    transactions, frauds = counts
    if type(transactions) is not int or type(frauds) is not int:
        raise ValueError(f"{where}: transactions and frauds must be integers")
    if not 0 <= frauds <= transactions < MERCHANT_RISK_MAX_COUNT:
        raise ValueError(f"{where}: needs 0 <= frauds <= transactions < {MERCHANT_RISK_MAX_COUNT}")
    return transactions, frauds


def merchant_risk_from_json(text: str | bytes) -> tuple[MerchantRisk, date]:
    """A published snapshot (every fraud in it is known) and its date.

    Bounded, so that a broken or hostile snapshot cannot exhaust memory or arithmetic: per merchant and day
    `0 <= frauds <= transactions < MERCHANT_RISK_MAX_COUNT`, integers, on a day before `as_of`; at most
    MERCHANT_RISK_MAX_MERCHANTS merchants, MERCHANT_RISK_MAX_MERCHANT_DAYS (merchant, day) entries and
    MERCHANT_RISK_MAX_FRAUDS frauds in all. Anything else, RecursionError of a deeply nested document included,
    raises InvalidMerchantRisk.
    """
    try:
        document = loads(text)
        if type(document) is not dict:
            raise TypeError("must be a JSON object")
        as_of = _snapshot_date(document["as_of"], "as_of")
        by_merchant = document["merchants"]
        if type(by_merchant) is not dict or len(by_merchant) > MERCHANT_RISK_MAX_MERCHANTS:
            raise ValueError(f"merchants must be an object of at most {MERCHANT_RISK_MAX_MERCHANTS} merchants")
        merchants: dict[str, dict[int, MerchantDay]] = {}
        entries = all_frauds = 0
        for merchant, by_day in by_merchant.items():
            if type(by_day) is not dict:
                raise ValueError(f"{merchant}: must be an object of days")
            entries += len(by_day)
            if entries > MERCHANT_RISK_MAX_MERCHANT_DAYS:
                raise ValueError(f"more than {MERCHANT_RISK_MAX_MERCHANT_DAYS} (merchant, day) entries in all")
            days = merchants[merchant] = {}
            for day, counts in by_day.items():
                if not _snapshot_date(day, merchant) < as_of:
                    raise ValueError(f"{merchant} {day}: a snapshot holds only days before its as_of")
                transactions, frauds = _day_counts(counts, f"{merchant} {day}")
                all_frauds += frauds
                if all_frauds > MERCHANT_RISK_MAX_FRAUDS:
                    raise ValueError(f"more than {MERCHANT_RISK_MAX_FRAUDS} frauds in all")
                days[date.fromisoformat(day).toordinal()] = MerchantDay(transactions, (KNOWN,) * frauds)
    except Exception as exc:  # anything a published document can make the parser raise, RecursionError included
        reason = f"{type(exc).__name__}: {exc}" if isinstance(exc, RecursionError | MemoryError) else exc
        raise InvalidMerchantRisk(f"not a merchant-risk snapshot: {reason}") from None
    return MerchantRisk(merchants), as_of


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _snapshot_date(value: object, name: str) -> date:
    """A `YYYY-MM-DD` date, nothing else `date.fromisoformat` would take (`20250301`, `2025-W10-1`)."""
    if type(value) is not str or not _ISO_DATE.fullmatch(value):
        raise ValueError(f"{name}: must be a YYYY-MM-DD date")
    return date.fromisoformat(value)
