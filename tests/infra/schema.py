"""Check a resource's wire inputs against the installed pulumi_aws argument classes, recursively.

The SDK translates the nested argument names it knows and passes unknown ones through, and mocks accept anything, so
a misspelt nested argument would otherwise only fail (or be silently ignored) at `pulumi up`.
"""

from __future__ import annotations

import importlib
import inspect
import re
from types import ModuleType
from typing import Any

# Arguments whose values are free-form maps (their keys are data, not argument names).
DATA_ARGUMENTS = frozenset({"tags", "variables", "parameters", "default_arguments", "dimensions", "triggers"})
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_ARGS_TYPE = re.compile(r"(\w+Args)\b")


def resource_class(token: str) -> tuple[ModuleType, type]:
    """`aws:s3/bucket:Bucket` -> (pulumi_aws.s3, pulumi_aws.s3.Bucket)."""
    _, module, name = token.split(":")
    package = module.split("/")[0]
    package = {"lambda": "lambda_"}.get(package, package)
    loaded = importlib.import_module(f"pulumi_aws.{package}")
    return loaded, getattr(loaded, name)


def _nested_args(annotation: Any, module: ModuleType) -> type | None:
    inputs = importlib.import_module(f"{module.__name__}._inputs")
    for name in _ARGS_TYPE.findall(str(annotation)):
        for candidate in (module, inputs):
            if hasattr(candidate, name):
                return getattr(candidate, name)
    return None


def unknown_arguments(token: str, inputs: dict[str, Any]) -> list[str]:
    module, cls = resource_class(token)
    unknown: list[str] = []
    _check(inputs, inspect.signature(cls._internal_init).parameters, module, "", unknown)
    return unknown


def _check(value: Any, params: Any, module: ModuleType, where: str, unknown: list[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _check(item, params, module, where, unknown)
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        name = _CAMEL.sub("_", key).lower()
        if name not in params:
            unknown.append(f"{where}{key}")
            continue
        nested = _nested_args(params[name].annotation, module)
        if name in DATA_ARGUMENTS or nested is None:
            continue
        _check(item, inspect.signature(nested.__init__).parameters, module, f"{where}{key}.", unknown)
