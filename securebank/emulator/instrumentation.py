"""How a caller of the local stack watches or perturbs the processor: an instrumentation, named by import path.

The event source mapping runs in its own process, so the stack cannot hand it an object. It passes the name of a
factory (`"package.module:function"`) and JSON settings; the mapping process calls
`factory(settings, workdir, instance)` and wraps the processor handler with what it returns. The emulator knows only
this protocol: the demo supplies its fault injection, call counting and completion log through it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

Handler = Callable[[dict[str, Any], Any], Any]


class Instrumentation(Protocol):
    def install(self) -> None:
        """Called once in the mapping process, before the handler module is imported."""

    def wrap(self, handler: Handler) -> Handler: ...

    def snapshot(self) -> dict[str, Any]:
        """Counters merged into the mapping's stats file (summed across mapping processes)."""


class NoInstrumentation:
    """The default: the handler runs as it is."""

    def install(self) -> None:
        return None

    def wrap(self, handler: Handler) -> Handler:
        return handler

    def snapshot(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class InstrumentationSpec:
    factory: str  # "package.module:function", called as function(settings, workdir, instance)
    settings: dict[str, Any] | None = None

    def load(self, workdir: Path, instance: int) -> Instrumentation:
        module, _, name = self.factory.partition(":")
        if not module or not name:
            raise ValueError(f"instrumentation factory {self.factory!r}: expected 'package.module:function'")
        factory = getattr(importlib.import_module(module), name)
        instrumentation: Instrumentation = factory(self.settings, workdir, instance)
        return instrumentation
