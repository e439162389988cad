import gzip
import json
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal

from securebank.emulator.schema import check_transaction
from securebank.lab.generate import PATTERNS, generate_workload, write_workload


def _workload(**overrides):
    params = {"customers": 50, "transactions": 2000, "seed": 7, "start": date(2026, 3, 1), "days": 3}
    return generate_workload(**(params | overrides))


def test_same_seed_gives_the_same_workload_and_another_seed_does_not():
    assert list(_workload().events()) == list(_workload().events())
    assert list(_workload().transactions()) != list(_workload(seed=8).transactions())


def test_writes_exactly_the_requested_number_of_transactions_in_timestamp_order():
    txns = list(_workload().transactions())
    assert len(txns) == 2000
    instants = [datetime.fromisoformat(t["timestamp"].replace("Z", "+00:00")) for t in txns]
    assert instants == sorted(instants)
    assert len({t["transaction_id"] for t in txns}) == 2000


def test_every_transaction_is_a_valid_post_body():
    for txn in _workload().transactions():
        parsed = json.loads(json.dumps(txn), parse_float=Decimal)
        received = datetime.fromisoformat(txn["timestamp"].replace("Z", "+00:00"))  # a replay: as of its own time
        assert check_transaction(parsed, received) is None, txn
        assert isinstance(txn["amount"], str)


def test_every_amount_has_exactly_its_currencys_minor_units():
    from domain.currency import MINOR_UNITS

    txns = list(_workload().transactions())
    for txn in txns:
        places = MINOR_UNITS[txn["currency"]]
        assert -Decimal(txn["amount"]).as_tuple().exponent == places, txn  # JPY "19", never "18.75"
    assert {"JPY", "USD"} <= {t["currency"] for t in txns}


def test_labels_cover_every_fraud_pattern_at_about_the_requested_rate():
    labels = list(_workload(transactions=5000, fraud_rate=0.05).labels())
    patterns = Counter(label["pattern"] for label in labels)
    assert set(patterns) == {"none", *PATTERNS}
    fraud = sum(label["is_fraud"] for label in labels)
    assert 0.03 * 5000 <= fraud <= 0.05 * 5000
    assert all(label["is_fraud"] == (label["pattern"] != "none") for label in labels)


def test_normal_transactions_happen_in_local_daytime_near_home_in_usual_categories():
    workload = _workload()
    homes = {c.customer_id: c for c in workload.customers}
    usual = 0
    normal = [t for t, label in workload.events() if label["pattern"] == "none"]
    for txn in normal:
        customer = homes[txn["customer_id"]]
        assert 8 <= datetime.fromisoformat(txn["timestamp"].replace("Z", "+00:00")).hour < 21
        assert abs(txn["location"]["latitude"] - customer.latitude) <= 0.06
        usual += txn["merchant_category"] in customer.usual_categories
    assert usual / len(normal) > 0.85


def test_velocity_attacks_are_bursts_of_one_customer_within_minutes():
    bursts = defaultdict(list)
    for txn, label in _workload(transactions=3000, fraud_rate=0.1).events():
        if label["pattern"] == "velocity_attack":
            bursts[txn["customer_id"]].append(datetime.fromisoformat(txn["timestamp"].replace("Z", "+00:00")))
    assert bursts
    assert any(len(times) >= 5 and (max(times) - min(times)).total_seconds() < 600 for times in bursts.values())


def test_unusual_time_fraud_happens_at_night_local_time():
    night = [t for t, label in _workload(fraud_rate=0.1).events() if label["pattern"] == "unusual_time"]
    assert night
    assert all(1 <= datetime.fromisoformat(t["timestamp"].replace("Z", "+00:00")).hour < 5 for t in night)


def test_written_files_are_identical_for_the_same_seed_even_compressed(tmp_path):
    first = write_workload(_workload(), tmp_path / "a", compress=True)
    second = write_workload(_workload(), tmp_path / "b", compress=True)
    for name in ("customers", "transactions", "labels"):
        assert first[name].read_bytes() == second[name].read_bytes()
    with gzip.open(first["transactions"], "rt") as handle:
        assert sum(1 for _ in handle) == 2000
