"""What a KYC import (or an operator) says of a customer, and how it changes their profile. Pure: no I/O.

A record sets any of: the assigned risk profile, when the account was created, the home location and the time zone;
what it leaves out stays as it is. For a customer not yet seen it opens a profile before their first transaction:
created at the import's time unless the record says when, with no home and no zone unless it gives them; the first
transaction then completes what is missing (domain/profile.py `apply_unseen`), so that it is scored in the imported
zone and the profile keeps the imported home and account age.

Applying a record that changes nothing returns None: importing the same file twice writes nothing the second time.
Every change bumps `version`, so that a concurrent processor's write, conditioned on the version it read, fails its
condition and is retried on the new profile rather than overwriting the import (and the reverse).
"""

from __future__ import annotations

from datetime import datetime

from attrs import evolve, frozen

from domain.model import CustomerId, Location
from domain.profile import CustomerProfile, RiskProfile


@frozen
class KycRecord:
    customer_id: CustomerId
    risk_profile: RiskProfile | None = None
    account_created: datetime | None = None
    home: Location | None = None
    timezone: str | None = None
    """An IANA zone name (validated where the record is read)."""


def apply_kyc(profile: CustomerProfile | None, kyc: KycRecord, now: datetime) -> CustomerProfile | None:
    """The profile with the record's attributes and the next version, or None when the record changes nothing."""
    if profile is None:
        profile = CustomerProfile(kyc.customer_id, kyc.account_created or now, timezone=None)
        changed = True
    else:
        changed = False
    updated = evolve(
        profile,
        assigned_risk=kyc.risk_profile or profile.assigned_risk,
        account_created=kyc.account_created or profile.account_created,
        location=kyc.home or profile.location,
        timezone=kyc.timezone or profile.timezone,
    )
    if not changed and updated == profile:
        return None
    return evolve(updated, version=profile.version + 1)
