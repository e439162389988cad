"""Monitoring: the stack dimension on custom metrics, billing alarms in one stack only.

Per-resource checks take `(resource_type, props)` and return violation messages; stack checks take every resource
(`{"type", "name", "inputs"}`) and return `(resource name, message)` pairs. policy/checks.py registers both tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CHECKS: dict[str, tuple[str, Callable[[str, dict[str, Any]], list[str]]]] = {}
STACK_CHECKS: dict[str, tuple[str, Callable[[list[dict[str, Any]]], list[tuple[str, str]]]]] = {}
