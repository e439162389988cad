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
    StackValidation,
    StackValidationArgs,
    StackValidationPolicy,
)

# Pulumi runs the pack from policy/: its parent (the repository) makes `policy.checks` importable, as in the tests.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from policy.checks import CHECKS, STACK_CHECKS, Check, StackCheck, plain


def _validator(check: Check) -> ResourceValidation:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in check(args.resource_type, plain(args.props)):
            report_violation(message, None)

    return validate


def _stack_validator(check: StackCheck) -> StackValidation:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [{"type": r.resource_type, "name": r.name, "inputs": plain(r.props)} for r in args.resources]
        for name, message in check(resources):
            report_violation(f"{name}: {message}", None)

    return validate


PolicyPack(
    name="securebank-controls",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(name=name, description=description, validate=_validator(check))
        for name, (description, check) in CHECKS.items()
    ]
    + [
        StackValidationPolicy(name=name, description=description, validate=_stack_validator(check))
        for name, (description, check) in STACK_CHECKS.items()
    ],
)
