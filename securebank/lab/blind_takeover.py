"""A labelled history of account-takeover-shaped card fraud, written BLIND from the specification's description.

    python -m securebank.lab.blind_takeover --output-dir D --seed N [--holders 300 --months 6]

This is the project's own development data, not external evidence: its author read only the one-paragraph
description of the owner's held-out data ("300 card holders, 132,250 transactions over six months, 2.2 % fraud;
takeover runs over hours to a few days, often at night, well above the holder's usual amounts for the category; the
holder's own history goes on; no 500-mile jumps, no compromised terminal"), the output layout and the API contract,
and never the project's learner, its signals or its other takeover generator. It writes the layout of
`securebank/lab/split.py` for 2025, the test months starting on the first day of month `months // 2 + 1` (April).

The model. Each holder lives in one of fourteen cities (most in the US, some in Canada, London, Paris, Berlin and
Tokyo, paying in the local currency at a fixed UTC offset), has a spending scale, an amount spread, a set of
categories with their own medians and frequencies, one to four favourite merchants per category and a loyalty to
them, a daily rhythm (a tenth are night owls) and a rate of about two payments a day, more at weekends. Legitimate
life is noisy: 2 % of payments are 3-8 times the usual amount, sprees of two to six larger payments at merchants new
to the holder come about once every four months, short trips of 60-350 km bring new merchants for a few days, and
8 % of holders fly once to another city. A card is taken over a Poisson(1.2) number of times (so some never, some
twice or more). A run lasts 2 to 96 hours (median 18), holds 3 to 30 payments in a few sessions minutes apart,
each session at night with a probability drawn per run (40-90 %); a "reseller" run buys mostly electronics, online
goods, jewelry, gift cards and clothes at about 3.5 times the holder's usual amount, a "mimic" run buys in the
holder's own categories at about 2.5 times it; a quarter of runs start with a small probe payment. Fraud happens
in the holder's metro area (no long jumps) at many different merchants, a fifth of them the holder's favourites.
The holder's own payments go on during the run; after half of the runs the card is reissued and the holder pays
nothing for one to four days.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from securebank.lab.blind_holders import (
    Event,
    Holder,
    event,
    legit_events,
    make_holder,
    merchant,
    usual,
)
from securebank.lab.draws import poisson
from securebank.lab.split import Row, write_split

YEAR = 2025
RUNS_PER_HOLDER = 1.2
RESELLER_SHARE = 0.55
RESELLER = ("electronics", "online_retail", "jewelry", "gift_cards", "clothing")
PROBE_SHARE = 0.25
REISSUE_SHARE = 0.5
AT_FAVOURITE = 0.2
IN_STYLE = 0.8  # share of a run's payments that keep to its style
NIGHT_FROM, NIGHT_UNTIL = 23, 5  # local hours
Window = tuple[datetime, datetime]


def takeovers(rng: random.Random, holder: Holder, start: datetime, end: datetime) -> tuple[list[Event], list[Window]]:
    """The holder's takeover runs, and the windows after some of them in which the holder's reissued card is idle."""
    events: list[Event] = []
    quiet: list[Window] = []
    span = (end - start).total_seconds() - 4 * 86400
    for _ in range(poisson(rng, RUNS_PER_HOLDER)):
        run = _run(rng, holder, start + timedelta(seconds=rng.uniform(0, span)))
        events.extend(run)
        if rng.random() < REISSUE_SHARE:
            last = max(e.instant for e in run)
            quiet.append((last, last + timedelta(days=rng.uniform(1.0, 4.0))))
    return events, quiet


def _run(rng: random.Random, holder: Holder, begin: datetime) -> list[Event]:
    hours = min(max(rng.lognormvariate(math.log(18.0), 0.9), 2.0), 96.0)
    count = min(3 + int(rng.expovariate(1 / 5.5)), 30)
    reseller = rng.random() < RESELLER_SHARE
    scenario = "takeover_reseller" if reseller else "takeover_mimic"
    lift = rng.lognormvariate(math.log(3.5 if reseller else 2.5), 0.4)
    base = (holder.home[0] + rng.gauss(0, 0.12), holder.home[1] + rng.gauss(0, 0.12))
    times = _times(rng, holder, begin, hours, count, rng.uniform(0.4, 0.9))
    events = []
    if rng.random() < PROBE_SHARE:
        probe = rng.choice(("online_retail", "gift_cards"))
        when = times[0] - timedelta(minutes=rng.uniform(10.0, 180.0))
        shop = merchant(rng, holder.city.code, probe, popular=False)
        events.append(event(holder, when, probe, shop, rng.uniform(0.5, 5.0), base, "takeover_probe"))
    own = list(holder.weights)
    for when in times:
        in_style = rng.random() < IN_STYLE
        if in_style == reseller:  # a reseller's in-style payment, or a mimic's out-of-style one
            category = rng.choice(RESELLER)
        else:
            category = rng.choices(own, weights=list(holder.weights.values()))[0]
        usd = usual(holder, category) * lift * rng.lognormvariate(0.0, 0.4)
        if category in holder.favourites and rng.random() < AT_FAVOURITE:
            shop = rng.choice(holder.favourites[category])
        else:
            shop = merchant(rng, holder.city.code, category, popular=False)
        place = (base[0] + rng.gauss(0, 0.01), base[1] + rng.gauss(0, 0.01))
        events.append(event(holder, when, category, shop, usd, place, scenario))
    return events


def _times(
    rng: random.Random, holder: Holder, begin: datetime, hours: float, count: int, night: float
) -> list[datetime]:
    """`count` instants in sessions within `hours` of `begin`; each session at night with probability `night`."""
    starts: list[datetime] = []
    for _ in range(max(1, round(count / rng.uniform(2.0, 5.0)))):
        wanted = rng.random() < night
        for _ in range(40):
            candidate = begin + timedelta(hours=rng.uniform(0.0, hours))
            local = candidate.astimezone(holder.zone).hour
            if (local >= NIGHT_FROM or local < NIGHT_UNTIL) == wanted:
                break
        starts.append(candidate)
    cursors = list(starts)
    times = list(starts)
    for _ in range(count - len(starts)):
        session = rng.randrange(len(cursors))
        cursors[session] += timedelta(minutes=rng.expovariate(1 / 12.0))
        times.append(cursors[session])
    return sorted(times)


def generate(seed: int, holders: int = 300, months: int = 6) -> list[Row]:
    """Every row of the history, in time order, with ids given in that order."""
    rng = random.Random(seed)
    start = datetime(YEAR, 1, 1, tzinfo=UTC)
    end = datetime(YEAR + months // 12, months % 12 + 1, 1, tzinfo=UTC)
    days = (end - start).days + 1
    events: list[Event] = []
    for number in range(1, holders + 1):
        holder = make_holder(rng, number)
        fraud, quiet = takeovers(rng, holder, start, end)
        own = legit_events(rng, holder, start, days)
        events += fraud + [e for e in own if not any(a <= e.instant < b for a, b in quiet)]
    events = sorted((e for e in events if start <= e.instant < end), key=lambda e: (e.instant, e.customer_id))
    return [_row(index, e) for index, e in enumerate(events, start=1)]


def _row(index: int, e: Event) -> Row:
    body = {
        "transaction_id": f"tx_{index:07d}",
        "customer_id": e.customer_id,
        "amount": str(e.amount),
        "currency": e.currency,
        "merchant_id": e.merchant_id,
        "merchant_category": e.category,
        "timestamp": e.instant.astimezone(e.zone).isoformat(timespec="seconds"),
        "location": {"latitude": e.latitude, "longitude": e.longitude},
    }
    return Row(body, bool(e.scenario), e.scenario)


def test_from(months: int) -> date:
    """The first day of the test months: the second half (month 4 of six)."""
    return date(YEAR, months // 2 + 1, 1)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m securebank.lab.blind_takeover", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--holders", type=int, default=300)
    parser.add_argument("--months", type=int, default=6, choices=range(2, 13))
    args = parser.parse_args(argv)
    counts = write_split(generate(args.seed, args.holders, args.months), args.output_dir, test_from(args.months))
    share = counts["frauds"] / max(counts["transactions"], 1)
    print(" ".join(f"{key}={value}" for key, value in counts.items()), f"fraud_share={share:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
