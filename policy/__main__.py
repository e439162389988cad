"""CrossGuard policy pack: `pulumi preview --policy-pack policy`. The checks are plain functions in checks.py."""

from __future__ import annotations

import os
import sys

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

# Pulumi runs the pack from policy/: its parent (the repository) makes `policy.checks` importable, as in the tests.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from policy.checks import CHECKS, Check, plain


def _validator(check: Check) -> ResourceValidation:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in check(args.resource_type, plain(args.props)):
            report_violation(message, None)

    return validate


PolicyPack(
    name="securebank-controls",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(name=name, description=description, validate=_validator(check))
        for name, (description, check) in CHECKS.items()
    ],
)
