"""What every result file in bench/results/ records of the code it measured.

`source_digest()` is one SHA-256 over the program's source: every file under fleet/,
providers/, components/, programs/, harness/, sandbox/ and bench/ (results excluded) whose
name ends in .py or .graphql, with its path, in path order. A result whose digest is not the
code's current one was measured on other code.
"""

from __future__ import annotations

import hashlib
import os
import platform
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness import REPO

__all__ = ["SOURCE_DIRECTORIES", "SOURCE_SUFFIXES", "envelope", "source_digest", "source_files"]

SOURCE_DIRECTORIES = ("fleet", "providers", "components", "programs", "harness", "sandbox", "bench")
SOURCE_SUFFIXES = (".py", ".graphql")
# The page renderer reads results; it measures nothing, so a change to it stales none.
_EXCLUDED = ("bench/results", "bench/report.py")


def source_files(root: Path = REPO) -> list[Path]:
    """The files the digest covers, in the order it reads them."""
    found = [
        path
        for directory in SOURCE_DIRECTORIES
        for path in (root / directory).rglob("*")
        if path.is_file()
        and path.suffix in SOURCE_SUFFIXES
        and "__pycache__" not in path.parts
        and not path.relative_to(root).as_posix().startswith(_EXCLUDED)
    ]
    return sorted(found, key=lambda path: path.relative_to(root).as_posix())


def source_digest(root: Path = REPO) -> str:
    """ "sha256:<hex>" of the source files' paths and contents."""
    digest = hashlib.sha256()
    for path in source_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return f"sha256:{digest.hexdigest()}"


def envelope(name: str, figures: Mapping[str, Any]) -> dict[str, Any]:
    """A result file's content: which benchmark, its command, when, on what code and machine, then
    its figures. Every benchmark writes this shape."""
    return {
        "benchmark": name,
        "command": f"venv/bin/python -m bench.{name}",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        # What was measured: a result whose digest differs from the code's is stale.
        "source_digest": source_digest(),
        "environment": {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count()},
        **figures,
    }
