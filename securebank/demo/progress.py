"""The demo's live display: requests sent, accepted, processed so far, and the backlog (accepted - processed).

"Processed" is read from the event source mapping's stats file (records checkpointed or discarded, rewritten by the
mapping every 0.25 s), at most every REFRESH_SECONDS: never from the tables. Offered above the machine's capacity,
the backlog grows while sending; the same display then follows the drain.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from http import HTTPStatus
from types import TracebackType
from typing import Any

from securebank.demo.loadgen import SendResult

REFRESH_SECONDS = 0.25


class LiveProgress:
    def __init__(self, total: int, processed: Callable[[], int], label: str = "sending", console: Any = None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._read_processed = processed
        self._progress = Progress(
            TextColumn(f"[bold]{label}"),
            BarColumn(bar_width=8),
            MofNCompleteColumn(),
            TextColumn("accepted {task.fields[accepted]}"),
            TextColumn("[cyan]processed {task.fields[processed]}"),
            TextColumn("[bold]backlog {task.fields[backlog]}"),
            TimeElapsedColumn(),
            transient=False,
            console=console,
        )
        self._task = self._progress.add_task(label, total=total, accepted=0, rejected=0, processed=0, backlog=0)
        self.accepted = 0
        self.rejected = 0
        self.processed = 0
        self._read_at = 0.0

    def __enter__(self) -> LiveProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.refresh(force=True)
        self._progress.stop()

    def on_result(self, result: SendResult) -> None:
        if result.status == HTTPStatus.CREATED:
            self.accepted += 1
        else:
            self.rejected += 1
        self._progress.update(self._task, advance=1)
        self.refresh()

    def on_processed(self, processed: int) -> None:
        """The drain's own reading of the stats (wait_until_drained's callback)."""
        self.processed = processed
        self._show()

    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._read_at >= REFRESH_SECONDS:
            self._read_at = now
            self.processed = self._read_processed()
        self._show()

    def _show(self) -> None:
        fields: dict[str, Any] = {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "processed": self.processed,
            "backlog": max(0, self.accepted - self.processed),
        }
        self._progress.update(self._task, **fields)
