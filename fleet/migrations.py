"""The content hash of a migrations directory: when it changes, migrations run again."""

from __future__ import annotations

import hashlib
from pathlib import Path

MISSING = "missing"


def directory_digest(directory: Path) -> str:
    """sha256 over every file's relative path and bytes, in a stable order.

    Renaming a migration changes the digest as much as editing one does, and a directory that
    does not exist (yet) has a digest of its own rather than an error: the first migration added
    to the repository then shows up as a change.
    """
    if not directory.is_dir():
        return MISSING
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        digest.update(relative.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
