"""A lake in a local directory, as adapters/policy_store.py's LakeObjects (get, put, list by key), and `open_lake`:
a directory or `s3://bucket[/prefix]`, so that an operator command works the same on a local lake and a deployed
one."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from adapters.policy_store import LakeObjects, S3Objects


class DirectoryObjects:
    """A lake in a local directory: key `a/b.json` is the file `root/a/b.json`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def get(self, key: str) -> bytes | None:
        path = self.root / key
        return path.read_bytes() if path.is_file() else None

    def put(self, key: str, body: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".put-")
        with os.fdopen(handle, "wb") as out:  # written whole, then renamed: a reader never sees half an object
            out.write(body)
        Path(temporary).replace(path)

    def keys(self, prefix: str) -> list[str]:
        return sorted(self.modified(prefix))

    def modified(self, prefix: str) -> dict[str, datetime]:
        base = self.root / prefix
        folder = base if prefix.endswith("/") else base.parent
        if not folder.is_dir():
            return {}
        found = {p.relative_to(self.root).as_posix(): p for p in folder.rglob("*") if p.is_file()}
        return {
            key: datetime.fromtimestamp(path.stat().st_mtime, UTC)
            for key, path in found.items()
            if key.startswith(prefix) and not key.rsplit("/", 1)[-1].startswith(".")
        }


def open_lake(lake: str, endpoint_url: str | None = None) -> LakeObjects:
    """`lake`: a directory, or s3://bucket[/prefix] (boto3's default credentials; `endpoint_url` for a local
    moto server)."""
    if lake.startswith("s3://"):
        import boto3

        return S3Objects.from_uri(boto3.client("s3", endpoint_url=endpoint_url), lake)
    return DirectoryObjects(Path(lake))
