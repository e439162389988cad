"""Where the two paths disagree, and whether each accounts for every line.

The paths must agree on the stored items (transaction and decision), the profiles (less `version`), every decision,
the quarantine by line and reason (the real quarantine is at least once: repeats of a line's reason are one), and
the lake deduplicated by identity (which must also be what is stored). Every line must be stored, quarantined, or
a duplicate of what is stored with the same content; nothing may reach the on-failure destination.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

from attrs import frozen

from adapters.sqs_quarantine import MAX_REASON_CHARS
from domain.model import Transaction, TransactionKey
from securebank.verify.classify import parsed
from securebank.verify.observed import Observed
from securebank.verify.workload import Workload

SHOWN = 5
"""Differences shown per aspect; the count says how many there were."""


@frozen
class Disagreement:
    aspect: str
    detail: str

    def __str__(self) -> str:
        return f"{self.aspect}: {self.detail}"


def _differences(aspect: str, items: Iterable[str]) -> list[Disagreement]:
    found = list(items)
    shown = [Disagreement(aspect, item) for item in found[:SHOWN]]
    if len(found) > SHOWN:
        shown.append(Disagreement(aspect, f"... {len(found) - SHOWN} more"))
    return shown


def _mapping_differences(name: str, reference: Mapping[Any, Any], real: Mapping[Any, Any]) -> Iterable[str]:
    for key in sorted(reference.keys() | real.keys(), key=repr):
        if key not in real:
            yield f"{name} {key!r} only in the reference: {reference[key]!r}"
        elif key not in reference:
            yield f"{name} {key!r} only in the real path: {real[key]!r}"
        elif reference[key] != real[key]:
            yield f"{name} {key!r} differs:\n    reference {reference[key]!r}\n    real      {real[key]!r}"


def deduplicated(lake: Iterable[Transaction]) -> tuple[dict[TransactionKey, Transaction], list[str]]:
    """The lake by identity, and the identities whose lines disagree (the lake must not depend on which is kept)."""
    by_key: dict[TransactionKey, Transaction] = {}
    clashes = []
    for txn in lake:
        kept = by_key.setdefault(txn.key, txn)
        if kept != txn:
            clashes.append(f"identity {txn.key!r} has different lines: {kept!r} and {txn!r}")
    return by_key, clashes


def _as_sent(reason: str) -> str:
    """A reason as the quarantine sends it: cut after MAX_REASON_CHARS (it can quote a client's field name)."""
    return reason[:MAX_REASON_CHARS] + "..." if len(reason) > MAX_REASON_CHARS else reason


def _quarantine(observed: Observed) -> tuple[dict[int, str], list[str]]:
    reasons, problems = {}, []
    for line, all_reasons in observed.quarantined.items():
        distinct = sorted({_as_sent(reason) for reason in all_reasons})
        if len(distinct) > 1:
            problems.append(f"line {line} quarantined for different reasons: {distinct}")
        reasons[line] = distinct[0]
    return reasons, problems


def _unaccounted(workload: Workload, observed: Observed) -> Iterable[str]:
    for number, line in workload.numbered():
        if number in observed.quarantined:
            continue
        txn = parsed(line)
        if txn is None:
            yield f"line {number} is not a valid transaction and was not quarantined"
            continue
        stored = observed.stored.get(txn.key)
        if stored is None:
            yield f"line {number} {txn.key!r} was neither stored nor quarantined"
        elif stored[0] != txn:
            yield f"line {number} {txn.key!r} differs from what is stored and was not quarantined"


def _payloads(workload: Workload, observed: Observed) -> Iterable[str]:
    """A quarantined record can be found from its message: the payload is the record's text, or its base64 if it is
    not UTF-8 (as the processor sends it); one too large for SQS is cut, saying from how many characters."""
    lines = dict(workload.numbered())
    for number, payloads in observed.quarantined_payloads.items():
        data = lines[number].data
        try:
            expected = data.decode("utf-8")
        except UnicodeDecodeError:
            expected = base64.b64encode(data).decode("ascii")
        for payload, cut_from in payloads:
            if payload != expected and not (cut_from == len(expected) and expected.startswith(payload)):
                yield f"line {number}: the quarantine message's payload is not the record"


def _lake(name: str, observed: Observed) -> Iterable[str]:
    lake, clashes = deduplicated(observed.lake)
    yield from (f"{name}: {clash}" for clash in clashes)
    stored = {key: txn for key, (txn, _) in observed.stored.items()}
    yield from (f"{name}: {d}" for d in _mapping_differences("lake vs stored", stored, lake))
    yield from (f"{name}: unreadable lake line {text[:200]!r}" for text in observed.unreadable_lake_lines)


def compare(workload: Workload, reference: Observed, real: Observed) -> list[Disagreement]:
    found: list[Disagreement] = []
    ref_txns = {k: t for k, (t, _) in reference.stored.items()}
    real_txns = {k: t for k, (t, _) in real.stored.items()}
    found += _differences("stored items", _mapping_differences("identity", ref_txns, real_txns))
    ref_decisions = {k: d for k, (_, d) in reference.stored.items()}
    real_decisions = {k: d for k, (_, d) in real.stored.items()}
    found += _differences("decisions", _mapping_differences("identity", ref_decisions, real_decisions))
    found += _differences(
        "reference decisions", _mapping_differences("identity", ref_decisions, dict(reference.decisions))
    )
    found += _differences("profiles", _mapping_differences("customer", reference.profiles, real.profiles))
    ref_quarantine, ref_problems = _quarantine(reference)
    real_quarantine, real_problems = _quarantine(real)
    found += _differences("quarantine", [*ref_problems, *real_problems])
    found += _differences("quarantine", _mapping_differences("line", ref_quarantine, real_quarantine))
    found += _differences("lake", [*_lake("reference", reference), *_lake("real", real)])
    ref_lake, _ = deduplicated(reference.lake)
    real_lake, _ = deduplicated(real.lake)
    found += _differences("lake", _mapping_differences("identity", ref_lake, real_lake))
    found += _differences("accounting", (f"reference: {u}" for u in _unaccounted(workload, reference)))
    found += _differences("accounting", (f"real: {u}" for u in _unaccounted(workload, real)))
    found += _differences("quarantine payloads", _payloads(workload, real))
    if real.discarded:
        found.append(Disagreement("on-failure", f"{real.discarded} on-failure records: retries did not suffice"))
    return found
