"""Client-side pacing: every attempt an API client sends first waits for its turn under the API's
limits, so that the server never has to refuse it.

One Limiter per API, account and URL per process, shared by every client and thread of the process
(the provider host's 4 workers, `fleet status`'s polling threads), and, through a ledger file, by
every stagefleet process of this user on this machine (`pulumi up`'s provider host, then
`fleet status --wait` in the same CI job). What anybody else spends on the account (another tool,
another machine) is learned from the API's answers: `X-RateLimit-Remaining` with
`X-RateLimit-Reset` caps what may be sent until the reset, a smaller `X-RateLimit-Limit` than
configured lowers the limit, and a 429's `Retry-After` holds every other thread back too (the
refused thread waits it out in its own retry policy, providers.http).

The limits (the documented ones; see each constant):
- Railway: the account's plan, `stagefleet:railway.plan`: Hobby 10 requests a second and 1,000 an
  hour, Pro 50 and 10,000, or explicit numbers (providers.settings reads the key).
- Supabase Management API: 120 requests a minute per endpoint (per path template).
- Statsig Console API: mutations only, ~100 per 10 seconds and ~900 per 15 minutes per project.

They apply to the real APIs' hosts. An emulator (any other URL) is paced only by what its answers
say, unless STAGEFLEET_EMULATED_LIMITS asks for the documented limits there too, every window
divided by its time scale (the benchmarks compress an hour into a couple of minutes).

Why sliding windows and not token buckets: a bucket of capacity C refilled at r admits C + r*W in
any window W, so under a server that counts windows it must give up either the burst or part of
the rate to stay safe. A log of when requests were answered admits exactly the limit in every
window, whatever the server's window is aligned to. A request counts from the moment it is sent
(in flight) and, once answered, until a window after its answer: the server saw it no later
than that, so network and queueing delays can only make the client stricter, never over the limit.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from providers.http import rate_limit_reset_seconds, retry_after_seconds
from providers.rate_ledger import Ledger, ledger_directory

__all__ = [
    "DEFAULT_RAILWAY_PLAN",
    "RAILWAY_HOSTS",
    "RAILWAY_PLANS",
    "STATSIG_HOSTS",
    "SUPABASE_HOSTS",
    "Limiter",
    "NoTurnInTime",
    "Plan",
    "Request",
    "Turn",
    "Window",
    "forget_limiters",
    "parse_railway_plan",
    "railway_limiter",
    "statsig_limiter",
    "supabase_limiter",
]

SECOND = 1.0
MINUTE = 60.0
HOUR = 3600.0


@dataclass(frozen=True)
class Plan:
    """A Railway plan's API limits."""

    name: str
    per_second: int
    per_hour: int

    def describe(self) -> str:
        label = self.name.capitalize() if self.name in RAILWAY_PLANS else "configured"
        return f"{label} plan, {self.per_second:,} requests a second and {self.per_hour:,} an hour"


# docs.railway.com/reference/public-api, "Rate limits": requests per hour by plan, and per second
# on paid plans; 429 answers carry Retry-After and every answer X-RateLimit-Limit/-Remaining/-Reset.
RAILWAY_PLANS = {
    "hobby": Plan("hobby", per_second=10, per_hour=1_000),
    "pro": Plan("pro", per_second=50, per_hour=10_000),
}
# Pro when nothing is configured: a fleet of staging environments is a team's, and Pro is Railway's
# plan for teams. A Hobby account says so in its first answer (X-RateLimit-Limit: 1000), and the
# limiter adopts the smaller hourly limit then; a Hobby default would instead pace every Pro fleet
# at a tenth of what it may do, with no error to say why.
DEFAULT_RAILWAY_PLAN = RAILWAY_PLANS["pro"]

RAILWAY_HOSTS = frozenset({"backboard.railway.com", "backboard.railway.app"})
# supabase.com/docs/reference/api (Management API, "Rate limits"): 120 requests per minute per user
# and endpoint, X-RateLimit-* on every answer, 429 beyond. Counted here per path template, as the
# emulator counts them (a project's reads are one endpoint whatever the ref).
SUPABASE_PER_ENDPOINT_PER_MINUTE = 120
SUPABASE_HOSTS = frozenset({"api.supabase.com"})
# docs.statsig.com/console-api/introduction, "Rate limiting": mutation requests
# (POST/PATCH/PUT/DELETE) are limited to ~100 per 10 seconds and ~900 per 15 minutes per project;
# attempts that are refused count too. Reads are not limited.
STATSIG_MUTATIONS = ((100, 10.0), (900, 15 * MINUTE))
STATSIG_HOSTS = frozenset({"statsigapi.net", "api.statsig.com"})


def parse_railway_plan(value: Any) -> Plan:
    """A plan from its config value: "hobby", "pro", or {perSecond, perHour} (a mapping, or its
    JSON text). Raises ValueError saying what is wrong."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except ValueError:
                raise ValueError("not valid JSON") from None
        else:
            plan = RAILWAY_PLANS.get(text.lower())
            if plan is None:
                raise ValueError(f'"{text}" is not a plan: use "hobby", "pro" or {{perSecond: N, perHour: N}}')
            return plan
    if not isinstance(value, Mapping):
        raise ValueError('use "hobby", "pro" or {perSecond: N, perHour: N}')
    unknown = sorted(set(value) - {"perSecond", "perHour"})
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}: only perSecond and perHour")
    numbers: dict[str, int] = {}
    for key in ("perSecond", "perHour"):
        number = value.get(key)
        if isinstance(number, float) and number.is_integer():
            number = int(number)  # numbers cross Pulumi's wire as floats
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ValueError(f"{key} must be a whole number of at least 1")
        numbers[key] = number
    return Plan("custom", per_second=numbers["perSecond"], per_hour=numbers["perHour"])


@dataclass(frozen=True)
class Window:
    """At most `limit` requests in any `seconds`: counted per endpoint when `per_endpoint`, and
    only for mutations when `mutations_only`. `label` names it in messages ("an hour")."""

    limit: int
    seconds: float
    label: str
    per_endpoint: bool = False
    mutations_only: bool = False

    def applies_to(self, request: Request) -> bool:
        return request.mutation or not self.mutations_only

    def bucket(self, request: Request) -> str:
        return request.endpoint if self.per_endpoint else ""

    def describe(self, limit: int | None = None) -> str:
        scope = " per endpoint" if self.per_endpoint else ""
        kind = "mutations" if self.mutations_only else "requests"
        return f"{limit or self.limit:,} {kind} {self.label}{scope}"


@dataclass(frozen=True)
class Request:
    """What the limiter needs to know of an attempt: its operation ("<METHOD> <path template>"
    or a GraphQL operation name) and whether it writes."""

    endpoint: str
    mutation: bool


@dataclass(eq=False)
class Turn:
    """One admitted attempt, in flight until released."""

    request: Request
    scope: str
    buckets: tuple[tuple[int, str], ...]
    released: bool = False


class NoTurnInTime(Exception):
    """The limits leave no turn before the caller's deadline. The message says which limit and
    when the next turn would come."""


@dataclass
class _Learned:
    """What the server said of a scope: at most `allowance` more requests until `until`."""

    allowance: int
    until: float


# A wait for a request in flight to be answered is re-checked at least this often.
_IN_FLIGHT_RECHECK = 0.05


class Limiter:
    """The pacing of one API for one account: configured windows (none for an emulator), what the
    answers taught, and the ledger shared with the machine's other stagefleet processes.

    `header_window` is the index of the window that the API's X-RateLimit-* headers describe
    (None: they are not relied on for the limit); `per_endpoint_scope` says that the headers and
    a 429 concern the endpoint answered rather than the whole API. `clock` is monotonic seconds;
    `sleep`, when given, replaces waiting on the limiter's condition (tests pass a fake clock's)."""

    def __init__(
        self,
        api: str,
        windows: Iterable[Window] = (),
        *,
        header_window: int | None = None,
        per_endpoint_scope: bool = False,
        ledger: Ledger | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.api = api
        self.windows = tuple(windows)
        self._header_window = header_window
        self._per_endpoint_scope = per_endpoint_scope
        self._ledger = ledger
        self._clock, self._wall_clock, self._sleep = clock, wall_clock, sleep
        self._condition = threading.Condition()
        self._answered: dict[tuple[int, str], deque[float]] = {}
        self._in_flight: dict[tuple[int, str], int] = {}
        self._in_flight_scope: dict[str, int] = {}
        self._lowered: dict[tuple[int, str], int] = {}
        self._learned: dict[str, _Learned] = {}
        self._held_until: dict[str, float] = {}

    def now(self) -> float:
        """The limiter's clock: deadlines given to `acquire` are on it."""
        return self._clock()

    @property
    def longest_window(self) -> float:
        """The longest configured window's seconds (0 when none is configured)."""
        return max((window.seconds for window in self.windows), default=0.0)

    # ------------------------------------------------------------ taking turns

    def acquire(self, request: Request, *, deadline: float | None = None, refused: bool = False) -> Turn:
        """Wait for `request`'s turn and take it. `deadline` (on the limiter's clock) bounds the
        wait: NoTurnInTime when the turn would come later. `refused`: this thread's previous
        attempt was refused with a 429 and its retry policy has waited the Retry-After out, so the
        hold that answer put on the others does not apply to it."""
        while True:
            turn, wait, reason = self.reserve(request, refused=refused)
            if turn is not None:
                return turn
            now = self._clock()
            if deadline is not None and (now >= deadline or (math.isfinite(wait) and now + wait > deadline)):
                left = max(0.0, deadline - now)
                raise NoTurnInTime(
                    f"{self.api}: {reason}; the next request may go in {_seconds(wait)}, "
                    f"more than the {_seconds(left)} left to wait"
                )
            pause = min(wait, _IN_FLIGHT_RECHECK) if not math.isfinite(wait) else wait
            if deadline is not None:
                pause = min(pause, max(0.0, deadline - now))
            if self._sleep is not None:
                self._sleep(pause)
            else:
                with self._condition:
                    self._condition.wait(pause)

    def reserve(self, request: Request, *, refused: bool = False) -> tuple[Turn | None, float, str]:
        """Take a turn now if the limits allow one: (turn, 0, "") then, else (None, seconds to
        wait, which limit). An infinite wait means: until a request in flight is answered."""
        with self._condition:
            now = self._clock()
            self._absorb_ledger(now)
            wait, reason = 0.0, ""
            buckets: list[tuple[int, str]] = []
            for index, window in enumerate(self.windows):
                if not window.applies_to(request):
                    continue
                bucket = (index, window.bucket(request))
                buckets.append(bucket)
                answered = self._trimmed(bucket, now)
                limit = self._lowered.get(bucket, window.limit)
                used = len(answered) + self._in_flight.get(bucket, 0)
                if used >= limit:
                    excess = used - limit
                    free_in = answered[excess] + window.seconds - now if excess < len(answered) else math.inf
                    if free_in > wait:
                        wait, reason = free_in, f"{window.describe(limit)} are used"
            scope = self._scope(request)
            held = self._held_until.get(scope, 0.0)
            if not refused and held > now and held - now > wait:
                wait, reason = held - now, "it answered 429 (Retry-After)"
            learned = self._learned.get(scope)
            if learned is not None and learned.until <= now:
                del self._learned[scope]
                learned = None
            if learned is not None and learned.allowance <= 0 and learned.until - now > wait:
                wait, reason = learned.until - now, "its X-RateLimit-Remaining is spent"
            if wait > 0:
                return None, wait, reason
            for bucket in buckets:
                self._in_flight[bucket] = self._in_flight.get(bucket, 0) + 1
            self._in_flight_scope[scope] = self._in_flight_scope.get(scope, 0) + 1
            if learned is not None:
                learned.allowance -= 1
            return Turn(request, scope, tuple(buckets)), 0.0, ""

    def release(self, turn: Turn, *, status: int | None = None, headers: Mapping[str, str] | None = None) -> None:
        """The attempt of `turn` is over: answered with `status` and `headers`, or failed without
        an answer (both None). It counts against every window from now on; the answer's rate
        limit headers are learned."""
        with self._condition:
            if turn.released:
                return
            turn.released = True
            now = self._clock()
            for bucket in turn.buckets:
                self._in_flight[bucket] -= 1
                _insert(self._answered.setdefault(bucket, deque()), now)
            self._in_flight_scope[turn.scope] -= 1
            if self._ledger is not None and turn.buckets:
                self._ledger.record(turn.request.endpoint, turn.request.mutation, self._wall_clock())
            if headers is not None:
                self._learn(turn, status, {name.lower(): value for name, value in headers.items()}, now)
            self._condition.notify_all()

    # ------------------------------------------------------------ what is left

    def window(self, label: str) -> Window | None:
        """The configured window named `label` ("an hour"), if any."""
        return next((window for window in self.windows if window.label == label and not window.per_endpoint), None)

    def limit(self, window: Window) -> int:
        """The window's limit: as configured, or lower when the API said so."""
        with self._condition:
            return self._lowered.get((self.windows.index(window), ""), window.limit)

    def remaining(self, window: Window) -> int:
        """How many more requests `window` (one not counted per endpoint) allows now: its limit
        less what was sent in it (by this process and the machine's other stagefleet processes),
        and no more than the API's last X-RateLimit-Remaining said, while that holds."""
        with self._condition:
            now = self._clock()
            self._absorb_ledger(now)
            bucket = (self.windows.index(window), "")
            limit = self._lowered.get(bucket, window.limit)
            left = limit - len(self._trimmed(bucket, now)) - self._in_flight.get(bucket, 0)
            learned = self._learned.get("")
            if learned is not None and learned.until > now and self._header_window == bucket[0]:
                left = min(left, learned.allowance)
            return max(0, left)

    # ------------------------------------------------------------ internals

    def _scope(self, request: Request) -> str:
        return request.endpoint if self._per_endpoint_scope else ""

    def _trimmed(self, bucket: tuple[int, str], now: float) -> deque[float]:
        answered = self._answered.setdefault(bucket, deque())
        horizon = now - self.windows[bucket[0]].seconds
        while answered and answered[0] <= horizon:
            answered.popleft()
        return answered

    def _learn(self, turn: Turn, status: int | None, headers: Mapping[str, str], now: float) -> None:
        wall = self._wall_clock()
        scope = turn.scope
        limit = _whole(headers.get("x-ratelimit-limit"))
        remaining = _whole(headers.get("x-ratelimit-remaining"))
        reset = rate_limit_reset_seconds(headers.get("x-ratelimit-reset"), now=wall)
        if limit is not None and limit > 0 and self._header_window is not None:
            window = self.windows[self._header_window]
            bucket = (self._header_window, scope if window.per_endpoint else "")
            if limit < self._lowered.get(bucket, window.limit):
                self._lowered[bucket] = limit
        if status == 429:
            after = retry_after_seconds(headers.get("retry-after"), now=wall)
            if after is None:
                after = reset
            if after is not None:
                self._held_until[scope] = max(self._held_until.get(scope, 0.0), now + after)
            return
        if remaining is None or reset is None:
            return
        # Requests still in flight may reach the server after it counted this answer's remaining.
        allowance = remaining - self._in_flight_scope.get(scope, 0)
        until = now + reset
        known = self._learned.get(scope)
        if known is not None and known.until > now:
            allowance, until = min(known.allowance, allowance), max(known.until, until)
        self._learned[scope] = _Learned(allowance, until)

    def _absorb_ledger(self, now: float) -> None:
        if self._ledger is None:
            return
        news = self._ledger.news()
        if not news:
            return
        offset = self._wall_clock() - now
        for wall, endpoint, mutation in news:
            request = Request(endpoint, mutation)
            at = wall - offset
            for index, window in enumerate(self.windows):
                if window.applies_to(request) and at > now - window.seconds:
                    _insert(self._answered.setdefault((index, window.bucket(request)), deque()), at)


def _insert(answered: deque[float], at: float) -> None:
    if not answered or answered[-1] <= at:
        answered.append(at)
    else:
        answered.insert(bisect.bisect_right(answered, at), at)


def _whole(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None


def _seconds(value: float) -> str:
    return "an unknown time" if not math.isfinite(value) else f"{value:.1f} s"


# ---------------------------------------------------------------- one limiter per API and account


@dataclass(frozen=True)
class _Key:
    api: str
    api_url: str
    credential_digest: str
    windows: tuple[Window, ...]


_registry_lock = threading.Lock()
_registry: dict[_Key, Limiter] = {}


def forget_limiters() -> None:
    """Drop every limiter of this process (tests start each from nothing)."""
    with _registry_lock:
        _registry.clear()


@dataclass(frozen=True)
class _Shape:
    windows: tuple[Window, ...] = ()
    header_window: int | None = None
    per_endpoint_scope: bool = False


def _limiter(api: str, api_url: str, credential: str, shape: _Shape) -> Limiter:
    digest = hashlib.sha256(f"stagefleet rate ledger\0{api}\0{api_url}\0{credential}".encode()).hexdigest()[:16]
    key = _Key(api, api_url, digest, shape.windows)
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None:
            ledger = None
            directory = ledger_directory() if shape.windows else None
            if directory is not None:
                period = max(window.seconds for window in shape.windows)
                with contextlib.suppress(OSError):
                    ledger = Ledger(directory, f"{api.lower()}-{digest}", period)
            limiter = Limiter(
                api,
                shape.windows,
                header_window=shape.header_window,
                per_endpoint_scope=shape.per_endpoint_scope,
                ledger=ledger,
            )
            _registry[key] = limiter
        return limiter


def _documented(api_url: str, hosts: frozenset[str], emulated_scale: float | None) -> float | None:
    """The time scale of the documented limits for `api_url`: 1 on the real API's host, the
    emulated scale elsewhere when one is set, else None (no configured limits)."""
    if emulated_scale is not None:
        return emulated_scale
    host = (urlsplit(api_url).hostname or "").lower()
    return 1.0 if host in hosts else None


def railway_limiter(*, api_url: str, token: str, plan: Plan, emulated_scale: float | None) -> Limiter:
    """The process's limiter for Railway at `api_url` with `token`: the plan's per-second and
    per-hour windows; X-RateLimit-* describe the hour."""
    scale = _documented(api_url, RAILWAY_HOSTS, emulated_scale)
    shape = _Shape()
    if scale is not None:
        windows = (
            Window(plan.per_second, SECOND / scale, "a second"),
            Window(plan.per_hour, HOUR / scale, "an hour"),
        )
        shape = _Shape(windows, header_window=1)
    return _limiter("Railway", api_url, token, shape)


def supabase_limiter(*, api_url: str, token: str, emulated_scale: float | None) -> Limiter:
    """The process's limiter for Supabase's Management API: 120 a minute per endpoint; the
    headers and a 429 concern the endpoint answered."""
    scale = _documented(api_url, SUPABASE_HOSTS, emulated_scale)
    windows: tuple[Window, ...] = ()
    if scale is not None:
        windows = (Window(SUPABASE_PER_ENDPOINT_PER_MINUTE, MINUTE / scale, "a minute", per_endpoint=True),)
    return _limiter(
        "Supabase", api_url, token, _Shape(windows, header_window=0 if windows else None, per_endpoint_scope=True)
    )


def statsig_limiter(*, api_url: str, api_key: str, emulated_scale: float | None) -> Limiter:
    """The process's limiter for Statsig's Console API: mutations, per 10 s and per 15 min."""
    scale = _documented(api_url, STATSIG_HOSTS, emulated_scale)
    windows: tuple[Window, ...] = ()
    if scale is not None:
        windows = tuple(
            Window(limit, seconds / scale, label, mutations_only=True)
            for (limit, seconds), label in zip(STATSIG_MUTATIONS, ("per 10 seconds", "per 15 minutes"), strict=True)
        )
    return _limiter("Statsig", api_url, api_key, _Shape(windows))
