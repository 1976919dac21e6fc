"""The rate ledger: what this user's stagefleet processes on this machine have sent to one API
with one account, so that each process's limiter (providers.limits) counts the others' requests
too: `fleet status --wait` right after `pulumi up` knows what the up's provider host spent.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["LEDGER_DIRECTORY_ENV", "Ledger", "ledger_directory"]


class Ledger:
    """When this user's stagefleet processes on this machine had their requests answered, for
    one API, account and URL: an append-only file per period (the longest window), one line per
    answered attempt (wall time, process id, mutation or not, endpoint). Lines under PIPE_BUF
    bytes appended with O_APPEND do not interleave between processes. Each process reads the
    others' lines as they come; files two periods old are removed."""

    def __init__(
        self,
        directory: Path,
        name: str,
        period: float,
        *,
        wall_clock: Callable[[], float] = time.time,
        process: str | None = None,
    ):
        """`process` tells this process's lines from the others' (its pid by default)."""
        self._directory, self._name, self._period = directory, name, period
        self._wall_clock = wall_clock
        self._pid = process or str(os.getpid())
        self._offsets: dict[int, int] = {}
        self._lock = threading.Lock()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._remove_old()

    def _path(self, period: int) -> Path:
        return self._directory / f"{self._name}-{period}.log"

    def _remove_old(self) -> None:
        current = int(self._wall_clock() // self._period)
        for path in self._directory.glob(f"{self._name}-*.log"):
            number = path.stem.rsplit("-", 1)[-1]
            if number.isdigit() and int(number) < current - 1:
                with contextlib.suppress(OSError):
                    path.unlink()

    def record(self, endpoint: str, mutation: bool, wall: float) -> None:
        """One answered attempt at `endpoint` (a write when `mutation`), at wall time `wall`."""
        kind = "w" if mutation else "r"
        line = f"{wall:.3f}\t{self._pid}\t{kind}\t{endpoint}\n".encode()
        try:
            descriptor = os.open(self._path(int(wall // self._period)), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError:
            return  # the ledger only adds knowledge: without it, this process paces alone
        try:
            os.write(descriptor, line)
        finally:
            os.close(descriptor)

    def news(self) -> list[tuple[float, str, bool]]:
        """The other processes' lines written since the last call (this period's and the last):
        (wall time, endpoint, mutation)."""
        current = int(self._wall_clock() // self._period)
        found: list[tuple[float, str, bool]] = []
        with self._lock:
            for period in (current - 1, current):
                path = self._path(period)
                offset = self._offsets.get(period, 0)
                try:
                    if path.stat().st_size <= offset:
                        continue
                    with path.open("rb") as file:
                        file.seek(offset)
                        chunk = file.read()
                except OSError:
                    continue
                complete = chunk[: chunk.rfind(b"\n") + 1]
                self._offsets[period] = offset + len(complete)
                for line in complete.decode(errors="replace").splitlines():
                    parts = line.split("\t", 3)
                    if len(parts) != 4 or parts[1] == self._pid:
                        continue
                    try:
                        wall = float(parts[0])
                    except ValueError:
                        continue
                    found.append((wall, parts[3], parts[2] == "w"))
            for period in [p for p in self._offsets if p < current - 1]:
                del self._offsets[period]
        return found


# Where the ledgers live, when not under the system's temporary directory (tests and benchmarks
# give each run its own); empty: keep no ledger.
LEDGER_DIRECTORY_ENV = "STAGEFLEET_RATE_LEDGER_DIR"


def ledger_directory() -> Path | None:
    """Where the ledgers live: STAGEFLEET_RATE_LEDGER_DIR, else this user's directory under the
    system's temporary directory; None when the variable is set empty (no ledger)."""
    given = os.environ.get(LEDGER_DIRECTORY_ENV)
    if given is not None:
        return Path(given) if given.strip() else None
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"stagefleet-{uid}" / "rate-ledgers"
