"""A third labelled history of account-takeover-shaped card fraud, written blind from the specification's words.

    python -m securebank.lab.blind_third --output-dir D --seed N [--holders 300 --months 6]

This is the project's own development data, written by an engineer who read only the specification's short
description of the owner's held-out history ("300 holders, six months, 2.2 % fraud, takeover runs of hours to a
few days, often at night and well above the holder's usual amounts, the holder's own history going on around them,
no 500-mile jumps, no compromised terminals") and never saw the project's learner or its other generators. It is
not external evidence: it tests whether the learner generalises to one more author's modelling choices, nothing more.

The model. Holders live in twelve cities in the US, the UK, France and Japan (local clocks with summer time, their
own currency) and differ in how often they pay, which of sixteen categories they use, their amount scale per
category, their favourite merchants, their clock (a few night owls and shift workers), payday, rent, appetite for
nights out and online sprees, and trips. Their life is noisy on purpose: routine payments at stray hours and new
merchants, Friday and Saturday nights out (bars until past midnight), evening online sprees at new shops, trips of
a few days to the nearby city, a monthly rent payment, a subscription batch-charged at night, bigger baskets around
payday, and a big one-off purchase every two months or so. About one compromise per holder every six months
starts, in 60 % of cases, with one to three small card-testing payments online, then one to four sessions of one to
six purchases minutes apart, the sessions hours apart over up to a few days; each run leans to night or to day
(so runs mix both), buys mostly electronics, online goods, clothing, gift cards and jewellery from the ordinary
merchant pools (no merchant is the fraudster's), at amounts a run-level multiple of the holder's usual one (a
quarter of runs stay near ordinary amounts), near home. The holder keeps paying during the run. 70 % of runs end
with the card blocked some hours later: no payments for two to seven days (a new card), then life resumes; the
others just stop, and half of those come back for a second run a few days later. A card can be taken over again.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from securebank.lab.blind_third_holders import (
    PER_DOLLAR,
    Holder,
    Spend,
    at_hour,
    chance,
    draw_holder,
    legitimate_life,
    spend,
)
from securebank.lab.draws import poisson
from securebank.lab.split import Row, write_split

YEAR = 2024
COMPROMISES_PER_MONTH = 0.17
PROBE_SHARE = 0.6
QUIET_SHARE = 0.25
BLOCK_SHARE = 0.7
RETURN_SHARE = 0.5
FRAUD_CATEGORIES = {"electronics": 24, "online_retail": 20, "clothing": 12, "gift_cards": 10, "digital_goods": 8,
                    "jewelry": 6, "restaurant": 6, "grocery": 6, "fuel": 4, "entertainment": 4}  # fmt: skip
US_SPRING, EU_SPRING = datetime(YEAR, 3, 10, 2), datetime(YEAR, 3, 31, 1)  # local wall clock / UTC


def run_times(rng: random.Random, start: datetime) -> list[datetime]:
    """One to four sessions of one to six purchases minutes apart; each session at night or by day, as the run leans."""
    nightly, pace = rng.uniform(0.1, 0.95), rng.uniform(3, 40)
    times, clock = [], start
    for session in range(rng.choice((1, 1, 2, 2, 3, 4))):
        if session:
            night = rng.random() < nightly
            hour = rng.gauss(1.5, 2) if night else rng.uniform(8, 21)
            earliest = clock + timedelta(minutes=rng.uniform(40, 300))
            clock = at_hour(earliest.date(), hour)
            while clock < earliest:
                clock += timedelta(days=1)
        for _ in range(rng.randint(1, 6)):
            times.append(clock)
            clock += timedelta(minutes=rng.expovariate(1 / pace) + 0.5)
    return times


def takeover(rng: random.Random, holder: Holder, start: datetime) -> list[Spend]:
    """Card testing (sometimes), then the run: sessions of purchases well above (or near) the holder's amounts."""
    events = []
    clock = start
    if rng.random() < PROBE_SHARE:
        for _ in range(rng.randint(1, 3)):
            probe = spend(rng, holder, clock, rng.choice(("digital_goods", "online_retail")), new=1.0)
            events.append(probe._replace(dollars=round(rng.uniform(0.5, 5), 2), scenario="takeover_probe"))
            clock += timedelta(minutes=rng.uniform(1, 30))
        clock += timedelta(minutes=rng.choice((2, 20, 180, 1400)) * rng.uniform(0.5, 1.5))
    quiet = rng.random() < QUIET_SHARE
    level = rng.lognormvariate(0.15, 0.3) if quiet else rng.lognormvariate(0.95, 0.5)
    categories = list(FRAUD_CATEGORIES)
    for when in run_times(rng, clock):
        category = rng.choices(categories, list(FRAUD_CATEGORIES.values()))[0]
        factor = level * rng.lognormvariate(0, 0.3)
        events.append(spend(rng, holder, when, category, factor, new=0.85, scenario="takeover_run"))
    return events


def start_hour(rng: random.Random) -> float:
    return rng.gauss(0.5, 2.5) if chance(rng, 0.55) else rng.uniform(7, 22)


def compromised_life(rng: random.Random, holder: Holder, first: date, days: int) -> list[Spend]:
    """The holder's life with the takeovers cut in: blocked cards silence the holder for a few days after."""
    events = legitimate_life(rng, holder, first, days)
    starts = sorted(rng.uniform(0, days) for _ in range(poisson(rng, COMPROMISES_PER_MONTH * days / 30.4)))
    quiet_until = datetime.min
    for day in starts:
        start = at_hour(first + timedelta(days=int(day)), start_hour(rng))
        if start < quiet_until:
            continue
        run = takeover(rng, holder, start)
        last = max(e.when for e in run)
        if rng.random() < BLOCK_SHARE:
            blocked = last + timedelta(hours=rng.uniform(0.5, 20))
            quiet_until = blocked + timedelta(days=rng.uniform(2, 7))
            events = [e for e in events if not blocked <= e.when < quiet_until]
        else:
            if rng.random() < RETURN_SHARE:
                again = at_hour((last + timedelta(days=rng.uniform(2, 9))).date(), start_hour(rng))
                run += takeover(rng, holder, again)
            quiet_until = max(e.when for e in run) + timedelta(days=3)
        events += [e for e in run if e.when >= start]
    return events


def utc_offset(holder: Holder, local: datetime) -> timezone:
    """The holder's offset at that wall-clock time (US and EU summer time from March; all six months are before
    the autumn change)."""
    city = holder.city
    summer = (city.dst == "us" and local >= US_SPRING) or (
        city.dst == "eu" and local - timedelta(hours=city.offset) >= EU_SPRING
    )
    return timezone(timedelta(hours=city.offset + summer))


def money(dollars: float, currency: str) -> str:
    units = Decimal(1) if currency == "JPY" else Decimal("0.01")
    value = (Decimal(str(dollars)) * Decimal(str(PER_DOLLAR[currency]))).quantize(units, ROUND_HALF_UP)
    return str(max(value, units))


def body(holder: Holder, event: Spend, stamp: datetime) -> dict[str, object]:
    return {
        "transaction_id": "",
        "customer_id": holder.customer_id,
        "amount": money(event.dollars, holder.city.currency),
        "currency": holder.city.currency,
        "merchant_id": event.merchant,
        "merchant_category": event.category,
        "timestamp": stamp.isoformat(timespec="seconds"),
        "location": {"latitude": round(event.lat, 4), "longitude": round(event.lon, 4)},
    }


def generate(seed: int, holders: int = 300, months: int = 6) -> list[Row]:
    """Every payment of every holder in UTC order, from 1 January 2024 for `months` months."""
    rng = random.Random(seed)
    first, end = date(YEAR, 1, 1), date(YEAR + months // 12, months % 12 + 1, 1)
    low, high = datetime(YEAR, 1, 1, tzinfo=UTC), datetime(end.year, end.month, 1, tzinfo=UTC)
    keyed = []
    for number in range(1, holders + 1):
        holder = draw_holder(rng, number)
        for event in compromised_life(rng, holder, first, (end - first).days):
            stamp = event.when.replace(microsecond=0, tzinfo=utc_offset(holder, event.when))
            if low <= stamp < high:
                keyed.append((stamp.astimezone(UTC), holder.customer_id, stamp, holder, event))
    keyed.sort(key=lambda k: (k[0], k[1]))
    rows = []
    for index, (_, _, stamp, holder, event) in enumerate(keyed, start=1):
        payload = body(holder, event, stamp) | {"transaction_id": f"t3_{index:07d}"}
        rows.append(Row(payload, bool(event.scenario), event.scenario))
    return rows


def test_start(months: int) -> date:
    """The first day of the second half: April for six months."""
    return date(YEAR, months // 2 + 1, 1)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m securebank.lab.blind_third", description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--holders", type=int, default=300)
    parser.add_argument("--months", type=int, default=6, choices=range(2, 12))
    args = parser.parse_args(argv)
    rows = generate(args.seed, args.holders, args.months)
    counts = write_split(rows, args.output_dir, test_start(args.months))
    print(" ".join(f"{key}={value}" for key, value in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
