"""What the demo plugs into the local stack's event source mapping: faults, call counting and the completion log.

`spec(chaos)` names `for_mapping` for `StackOptions.instrumentation`; each mapping process then builds its own
instrumentation, drawing its own faults (the seed is offset by the process's instance number).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from securebank.demo.chaos import ChaosSettings, ProcessorInstrumentation
from securebank.demo.completions import completions_path, record_completions
from securebank.emulator.instrumentation import Handler, InstrumentationSpec


def spec(chaos: ChaosSettings | None = None) -> InstrumentationSpec:
    return InstrumentationSpec(f"{__name__}:for_mapping", chaos.as_dict() if chaos else None)


class DemoInstrumentation:
    def __init__(self, processor: ProcessorInstrumentation, completions: Path) -> None:
        self.processor = processor
        self.completions = completions

    def install(self) -> None:
        self.processor.install()

    def wrap(self, handler: Handler) -> Handler:
        return self.processor.wrap(record_completions(handler, self.completions))

    def snapshot(self) -> dict[str, Any]:
        return self.processor.snapshot()


def for_mapping(settings: dict[str, Any] | None, workdir: Path, instance: int) -> DemoInstrumentation:
    chaos = ChaosSettings(**settings) if settings else None
    if chaos is not None:  # each mapping process draws its own faults
        chaos = dataclasses.replace(chaos, seed=chaos.seed + instance)
    return DemoInstrumentation(ProcessorInstrumentation(chaos), completions_path(workdir, instance))
