"""Run policy/__main__.py's policies as CrossGuard does, in a fresh interpreter: every resource's props wrapped in
pulumi_policy's real read-only proxies. PolicyPack's constructor needs an engine, so it is stubbed to capture the
policies. Resource policies see each resource under both proxies (unknowns, secrets); stack policies see the whole
stack at once."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.infra.conftest import ROOT

SCRIPT = """
import json, runpy, sys, pulumi_policy
from types import SimpleNamespace
from pulumi_policy.proxy import unknown_checking_proxy
from pulumi_policy.secret import secrets_preserving_proxy
captured = {}
class Pack:
    def __init__(self, name, policies, enforcement_level=None, **_):
        captured.update(policies=policies)
pulumi_policy.PolicyPack = Pack
runpy.run_path(sys.argv[1])
resources = json.load(sys.stdin)
reports = {"resource": [], "stack": []}
def run(policy, args, where, kind):
    try:
        policy.validate(args, lambda message, urn=None: reports[kind].append([*where, message]))
    except Exception as error:
        reports[kind].append([*where, f"crashed: {error!r}"])
for policy in captured["policies"]:
    if isinstance(policy, pulumi_policy.StackValidationPolicy):
        stack = [SimpleNamespace(resource_type=r["type"], name=r["name"], props=unknown_checking_proxy(r["inputs"]))
                 for r in resources]
        run(policy, SimpleNamespace(resources=stack), [policy.name], "stack")
        continue
    for resource in resources:
        for wrap in (unknown_checking_proxy, secrets_preserving_proxy):
            props = wrap(resource["inputs"])
            assert type(props).__name__ in ("_DictProxy", "_DictSecretsProxy"), type(props)
            args = SimpleNamespace(resource_type=resource["type"], props=props)
            run(policy, args, [resource["name"], policy.name], "resource")
print(json.dumps(reports))
"""


def run_pack(resources: list[dict[str, Any]]) -> dict[str, list[list[str]]]:
    """{"resource": [[resource name, policy, message], ...], "stack": [[policy, message], ...]}."""
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT / "policy" / "__main__.py")],
        input=json.dumps(resources),
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    reports: dict[str, list[list[str]]] = json.loads(result.stdout)
    return reports
