"""The policy lifecycle on an S3 lake, end to end: the tuner's candidate is shadowed, promoted and rolled back with
`policy` commands, and the processor's reader (adapters/s3_policy.py) follows each step; every step leaves one audit
record."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import attrs
import pytest

from adapters.policy_store import PolicyStore, S3Objects
from adapters.s3_policy import S3PolicySource
from contracts import aws
from domain.policy import FraudPolicy
from domain.release import Action
from securebank.__main__ import main
from tests.conftest import Resources

PREFIX = "lake-root"


def test_candidate_shadow_promote_rollback_on_s3_as_the_processor_sees_it(
    make_resources: Callable[[], Resources], capsys: pytest.CaptureFixture[str]
):
    resources = make_resources()
    s3 = resources.client("s3")
    store = PolicyStore(S3Objects(s3, resources.bucket))
    learned = attrs.evolve(FraudPolicy.default(), version=2, threshold=Decimal("0.6"))
    store.publish(learned, {"holdout": {"after": {"precision": "0.8", "recall": "0.7", "f1": "0.7467"}}})
    processor = S3PolicySource(s3, resources.bucket, ttl_seconds=0)
    lake = f"s3://{resources.bucket}"

    def policy(*args: str) -> int:
        return main(["policy", *args, "--lake", lake])

    assert (processor.current(), processor.shadow()) == (FraudPolicy.default(), None)  # a candidate changes nothing

    assert policy("shadow", "2", "--by", "analyst") == 0
    assert (processor.current(), processor.shadow()) == (FraudPolicy.default(), learned)

    assert policy("promote", "2", "--approved-by", "risk-officer", "--reason", "shadowed a week") == 0
    assert (processor.current(), processor.shadow()) == (learned, None)
    assert processor.release is not None and processor.release.approved_by == "risk-officer"

    capsys.readouterr()
    assert policy("list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["version"], r["status"], r["f1"]) for r in listed["versions"]] == [(2, "active", "0.7467")]

    assert policy("rollback", "--approved-by", "risk-officer", "--reason", "alert volume") == 0
    assert (processor.current(), processor.shadow()) == (FraudPolicy.default(), None)

    audit = store.audit()
    assert [(a.action, a.approved_by, a.from_version, a.to_version) for a in audit] == [
        (Action.SHADOW, "analyst", None, 2),
        (Action.PROMOTE, "risk-officer", None, 2),
        (Action.ROLLBACK, "risk-officer", 2, None),
    ]
    keys = [obj["Key"] for obj in s3.list_objects_v2(Bucket=resources.bucket)["Contents"]]
    assert sum(key.startswith(aws.POLICY_AUDIT_PREFIX) for key in keys) == len(audit)


def test_the_store_works_under_a_prefix_of_the_bucket(make_resources: Callable[[], Resources]):
    resources = make_resources()
    s3 = resources.client("s3")
    PolicyStore(S3Objects(s3, resources.bucket, PREFIX)).publish(attrs.evolve(FraudPolicy.default(), version=5))

    assert main(["policy", "promote", "5", "--approved-by", "ann", "--lake", f"s3://{resources.bucket}/{PREFIX}"]) == 0

    record = s3.get_object(Bucket=resources.bucket, Key=f"{PREFIX}/{aws.POLICY_RELEASE_KEY}")["Body"].read()
    assert json.loads(record)["active"] == 5
