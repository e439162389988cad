"""Reading and writing JSON Lines files, plain or gzip (by the `.gz` suffix)."""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO


def open_text(path: str | Path, mode: str = "rt") -> IO[str]:
    """UTF-8; bytes that are not UTF-8 are kept as lone surrogates (`surrogateescape`), so that one bad line is
    rejected by whoever parses it rather than stopping the whole file."""
    if str(path).endswith(".gz"):
        return gzip.open(path, mode, encoding="utf-8", errors="surrogateescape")  # type: ignore[return-value]
    return open(path, mode, encoding="utf-8", errors="surrogateescape")


def numbered_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-blank line, numbered from 1."""
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def write_lines(path: str | Path, lines: Iterable[str]) -> None:
    with open_text(path, "wt") as handle:
        for line in lines:
            handle.write(line)
            handle.write("\n")
