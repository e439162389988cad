"""Small raw lakes for the job tests, laid out exactly as the S3 archive adapter writes them."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from contracts.aws import raw_object_key


def write_raw_batch(lake: Path, partition: str, lines: Iterable[str | dict[str, Any]], shard: str = "shard-0") -> Path:
    """One archived batch as the S3 archive adapter lays it out: gzip JSON Lines at contracts.aws.raw_object_key."""
    text = [line if isinstance(line, str) else json.dumps(line) for line in lines]
    path = lake / raw_object_key(partition, shard, f"{hash(tuple(text)) & 0xFFFF:05d}", "9")
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(text) + "\n")
    return path
