"""The Lambda bundle's modules never import pulumi, moto or pyspark, and importing a handler builds nothing
(no boto3 client or session, no dependencies) until the first invocation. Import *time* is measured with
`python -X importtime -c "import handlers.processor"`, not asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = ["handlers.processor", "handlers.query", "handlers.cases", "handlers.cost_reporter"]
FORBIDDEN = ("pulumi", "moto", "pyspark")

PROBE = """
import json, sys
import botocore.session
made = []
original = botocore.session.Session.create_client
botocore.session.Session.create_client = lambda *a, **k: made.append(a) or original(*a, **k)
module = __import__(sys.argv[1], fromlist=["lambda_handler"])
print(json.dumps({
    "modules": sorted(sys.modules),
    "clients_made": len(made),
    "dependencies_built": module._dependencies.cache_info().currsize,
    "has_handler": callable(getattr(module, "lambda_handler", None)),
}))
"""


@pytest.mark.parametrize("handler", HANDLERS)
def test_a_handler_imports_without_infrastructure_tooling_or_side_effects(handler: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "us-east-1"}
    out = subprocess.run([sys.executable, "-c", PROBE, handler], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True, timeout=60)  # fmt: skip
    report = json.loads(out.stdout.splitlines()[-1])

    leaked = [m for m in report["modules"] if m.split(".")[0] in FORBIDDEN]
    assert leaked == []
    assert report["clients_made"] == 0
    assert report["dependencies_built"] == 0
    assert report["has_handler"]
