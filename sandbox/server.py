"""A reusable loopback HTTP server for API emulators (Railway now, Supabase next).

The server owns everything that is not the API itself: the socket, fault injection, a request
journal, added latency, a requests-per-second rate limit (Railway), a requests-per-hour limit with
X-RateLimit-* headers on every answer (Railway's plans), a per-key requests-per-minute rate limit
with X-RateLimit-* headers (Supabase), an API plan's limits enforced together (PlanLimits, time
scaled for benchmarks) and a hard lifetime after which it stops
by itself (so a test that forgets to stop it cannot leave a listener behind). The API is an
`Application`: `describe(request)` names the request (its operation key for fault matching and
what the journal records) *before* anything is applied, and `__call__(request)` applies it and
returns `(status, headers, body)`.

Faults: "429", "500", "502", "503" are answered by the server itself (the application never sees
the request); "slow" applies the request, then answers `delay` seconds late; "drop_after_apply"
applies it and closes the connection without a byte; "apply_late" answers never (the connection
is held until the client hangs up) and applies the request `delay` seconds after it arrived, on a
thread of its own: a create the server was still working on when the client gave up.

Long on purpose: the loopback server, its fault plan, journal and rate limiters are used together
by every emulator and share one request path.
"""

from __future__ import annotations

import contextlib
import json
import math
import select
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, NamedTuple, Protocol, Self, get_args
from urllib.parse import urlsplit

__all__ = [
    "Application",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "Journal",
    "JournalEntry",
    "KeyedRateLimiter",
    "LoopbackServer",
    "MutationRateLimiter",
    "PlanLimits",
    "RateDecision",
    "Request",
    "RequestInfo",
    "Response",
    "format_seconds",
]

DEFAULT_LIFETIME = 900.0
# How often a held request ("apply_late") checks that its client is still there.
_HOLD_POLL = 0.05
# Bounded wait for the serving thread when stopping: shutdown() returns within its poll interval.
_STOP_TIMEOUT = 5.0
# A body larger than this is refused rather than read (the emulators only see small JSON).
_MAX_BODY = 10 * 1024 * 1024

FaultKind = Literal["429", "500", "502", "503", "slow", "drop_after_apply", "apply_late"]
FAULT_KINDS: frozenset[str] = frozenset(get_args(FaultKind))
# Faults answered by the server itself: the application never sees the request.
_REJECTING_FAULTS = frozenset({"429", "500", "502", "503"})
_REASONS = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class Request(NamedTuple):
    """One HTTP request as the application sees it. Header names are lower-cased."""

    method: str
    path: str
    query: str  # the raw URL query string, without "?"
    headers: Mapping[str, str]
    body: bytes


class Response(NamedTuple):
    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class RequestInfo:
    """What the application says a request is, before it is applied.

    `key` is what faults are matched on (Railway: the first GraphQL root field name).
    """

    key: str
    operation_name: str | None = None
    root_fields: tuple[str, ...] = ()
    variables: Mapping[str, Any] = field(default_factory=dict)
    is_mutation: bool = False
    query: str = ""
    # REST emulators: the parsed JSON request body (None when empty or not JSON).
    body: Any = None


class Application(Protocol):
    def describe(self, request: Request) -> RequestInfo: ...

    def __call__(self, request: Request) -> Response: ...


def format_seconds(seconds: float) -> str:
    """Retry-After value: an integer when whole ("1"), else a short decimal ("0.25")."""
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def json_response(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    merged = {"Content-Type": "application/json"}
    merged.update(headers or {})
    return Response(status, merged, json.dumps(payload).encode())


# ---------------------------------------------------------------- faults


@dataclass
class Fault:
    key: str
    kind: FaultKind
    times: int
    retry_after: float = 1.0
    delay: float = 0.0


class FaultPlan:
    """Faults to inject, matched on a request's operation key ("*" matches every key).

    Each fault is consumed `times` times, in the order faults were added.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        key: str,
        kind: FaultKind,
        *,
        times: int = 1,
        retry_after: float = 1.0,
        delay: float = 0.0,
    ) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if times < 1:
            raise ValueError("times must be >= 1")
        if retry_after < 0 or delay < 0:
            raise ValueError("retry_after and delay must be >= 0")
        fault = Fault(key=key, kind=kind, times=times, retry_after=retry_after, delay=delay)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, key: str) -> Fault | None:
        """Consume one use of the first fault matching `key`; None when none matches."""
        with self._lock:
            for fault in self._faults:
                if fault.key in ("*", key):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return Fault(fault.key, fault.kind, 1, fault.retry_after, fault.delay)
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return [Fault(f.key, f.kind, f.times, f.retry_after, f.delay) for f in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


# ---------------------------------------------------------------- journal


@dataclass(frozen=True)
class JournalEntry:
    """One request the server received, whatever became of it.

    `status` is the HTTP status sent, or None when the connection was dropped without a response
    (fault "drop_after_apply": the application did apply the request; "apply_late": it applies it
    later, the entry is written when the request is held). `fault` is the injected
    fault kind, "rate_limit" when the rate limit answered, or None. `at` is time.monotonic() at
    arrival, so differences between entries measure a client's backoff.
    """

    operation_name: str | None
    root_fields: tuple[str, ...]
    variables: Mapping[str, Any]
    status: int | None
    fault: str | None
    is_mutation: bool
    query: str
    query_string: str
    at: float
    method: str = "POST"
    path: str = ""
    key: str = ""
    body: Any = None


class Journal:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[JournalEntry] = []

    def append(self, entry: JournalEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[JournalEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def count(self, field: str | None = None, mutations_only: bool = False) -> int:
        return sum(
            1
            for entry in self.entries()
            if (field is None or field in entry.root_fields or field == entry.key)
            and (entry.is_mutation or not mutations_only)
        )


# ---------------------------------------------------------------- rate limit


class RateLimiter:
    """Sliding one-second window (`window` seconds when time-scaled). Rejected requests do not
    count against the window."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrivals: deque[float] = deque()

    def admit(self, per_second: int | None, window: float = 1.0) -> float | None:
        """None when admitted, else the seconds until a slot frees up."""
        now = time.monotonic()
        with self._lock:
            while self._arrivals and now - self._arrivals[0] >= window:
                self._arrivals.popleft()
            if per_second is None:
                # Traffic while no limit is set does not count: turning a limit on starts a fresh window.
                self._arrivals.clear()
                return None
            if len(self._arrivals) < per_second:
                self._arrivals.append(now)
                return None
            return max(0.0, window - (now - self._arrivals[0]))


@dataclass(frozen=True)
class RateDecision:
    """The outcome of one request against a per-key limit. `reset` is the seconds until the
    oldest request in the key's window leaves it (a slot frees up)."""

    admitted: bool
    limit: int
    remaining: int
    reset: float

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": format_seconds(_round_up(self.reset)),
        }
        if not self.admitted:
            headers["Retry-After"] = format_seconds(_round_up(max(self.reset, 0.001)))
        return headers


def _round_up(seconds: float) -> float:
    """Up to whole milliseconds, so a client that waits the advertised time is admitted."""
    return math.ceil(seconds * 1000) / 1000


class KeyedRateLimiter:
    """A sliding window per key (Supabase: 120 requests per minute per endpoint).

    Rejected requests do not count against the window; traffic while no limit is set does not
    count either (turning a limit on starts fresh windows).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrivals: dict[str, deque[float]] = {}

    def admit(self, key: str, limit: int | None, window: float = 60.0) -> RateDecision | None:
        """None when no limit is set, else the decision (admitted or not) with header values."""
        now = time.monotonic()
        with self._lock:
            if limit is None:
                self._arrivals.clear()
                return None
            arrivals = self._arrivals.setdefault(key, deque())
            while arrivals and now - arrivals[0] >= window:
                arrivals.popleft()
            admitted = len(arrivals) < limit
            if admitted:
                arrivals.append(now)
            reset = max(0.0, window - (now - arrivals[0])) if arrivals else 0.0
            return RateDecision(admitted, limit, max(0, limit - len(arrivals)), reset)


class MutationRateLimiter:
    """A sliding window over mutation attempts in which rejected attempts COUNT (Statsig's
    Console API: "attempts rejected by this rate limiter also count toward the quota").

    A client that retries immediately after a 429 keeps itself locked out; one that backs off
    until the advertised Retry-After is admitted. Traffic while no limit is set does not count
    (turning a limit on starts a fresh window).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: deque[float] = deque()

    def admit(self, limit: int | None, window: float) -> RateDecision | None:
        """None when no limit is set, else the decision; the attempt is recorded either way.
        `reset` is the seconds until the window holds fewer than `limit` attempts again."""
        now = time.monotonic()
        with self._lock:
            if limit is None:
                self._attempts.clear()
                return None
            while self._attempts and now - self._attempts[0] >= window:
                self._attempts.popleft()
            admitted = len(self._attempts) < limit
            self._attempts.append(now)
            count = len(self._attempts)
            if count < limit:
                reset = 0.0
            else:
                # The (count - limit + 1) oldest attempts must leave before one more is admitted.
                reset = max(0.0, window - (now - self._attempts[count - limit]))
            return RateDecision(admitted, limit, max(0, limit - count), reset)

    def attempts(self) -> int:
        with self._lock:
            return len(self._attempts)


@dataclass(frozen=True)
class PlanLimits:
    """An API account's limits, for the server to enforce as the real API does: requests per
    second (429 + Retry-After), per hour (X-RateLimit-Limit/-Remaining/-Reset on every answer,
    429 + Retry-After beyond: Railway's plans) and per minute per operation key (the same
    headers: Supabase's 120 per endpoint). Every window is divided by `time_scale`, so a
    benchmark can live through an hour's budget in a couple of minutes."""

    per_second: int | None = None
    per_hour: int | None = None
    per_minute_per_key: int | None = None
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        for limit in (self.per_second, self.per_hour, self.per_minute_per_key):
            if limit is not None and limit < 1:
                raise ValueError("limits must be >= 1")

    @classmethod
    def railway(cls, plan: str, *, time_scale: float = 1.0) -> PlanLimits:
        """Railway's documented plan limits (docs.railway.com/reference/public-api): Hobby 10 a
        second and 1,000 an hour, Pro 50 and 10,000."""
        per_second, per_hour = {"hobby": (10, 1_000), "pro": (50, 10_000)}[plan]
        return cls(per_second=per_second, per_hour=per_hour, time_scale=time_scale)

    @classmethod
    def supabase(cls, *, time_scale: float = 1.0) -> PlanLimits:
        """The Management API's 120 requests a minute per endpoint."""
        return cls(per_minute_per_key=120, time_scale=time_scale)


# ---------------------------------------------------------------- server


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, as real APIs do, so clients exercise connection reuse.
    protocol_version = "HTTP/1.1"
    # Without TCP_NODELAY, Nagle's algorithm and the client's delayed ACK add ~40 ms to every
    # response on a reused connection.
    disable_nagle_algorithm = True
    # An idle keep-alive connection is closed after this many seconds, so threads do not linger.
    timeout = 60.0
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr line: the journal is the record."""

    def _serve(self) -> None:
        request = self._read_request()
        if request is None:
            return
        self.server.owner.dispatch(self, request)

    def _read_request(self) -> Request | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self.send_error(413)
            return None
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        return Request(self.command, parts.path, parts.query, headers, body)

    def send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":  # a HEAD answer has GET's headers and no body
            self.wfile.write(response.body)
        self.wfile.flush()

    def drop(self) -> None:
        """Close the connection without writing a single response byte."""
        self.close_connection = True

    def hold(self, until: threading.Event, stopping: Callable[[], bool]) -> None:
        """Answer nothing until `until` is set, the client hangs up or the server stops; then
        close the connection without a byte."""
        while not until.is_set() and not stopping():
            try:
                readable, _, _ = select.select([self.connection], [], [], _HOLD_POLL)
                hung_up = bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)
            except (OSError, ValueError):  # closed under us
                break
            if hung_up:
                break
            if readable:
                # Bytes the client sent after its request: not read, and not a reason to spin.
                until.wait(_HOLD_POLL)
        self.drop()


# A client that closed its connection while the server was reading from or answering on it (it
# gave up on a slow answer, or a pooled keep-alive connection was closed): the client's doing, not
# an error of the server's.
_CLIENT_GONE = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog is 5: a hundred services probed at once overflow it, and the
    # connections that do not fit wait out TCP's SYN retries (1 s, 3 s, 7 s...), which no real API
    # or edge makes its clients do.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], owner: LoopbackServer) -> None:
        self.owner = owner
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """No traceback for a client that hung up (_CLIENT_GONE); every other error of a request
        is printed as socketserver prints it."""
        if isinstance(sys.exc_info()[1], _CLIENT_GONE):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Cut open keep-alive connections: closing the listener alone would let a client's
        pooled connection keep talking to a stopped server."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)


class LoopbackServer:
    """Serves an Application on 127.0.0.1 in a daemon thread until stopped or its lifetime ends."""

    def __init__(
        self,
        app: Application,
        *,
        port: int = 0,
        lifetime: float | None = DEFAULT_LIFETIME,
        host: str = "127.0.0.1",
        rejection_body: Callable[[int, str], Any] = lambda status, reason: {"message": reason},
        response_headers: Mapping[str, str] | None = None,
    ) -> None:
        """`rejection_body(status, reason)` is the JSON payload of a server-made 429/5xx answer;
        `response_headers` are sent with every answer, the server-made ones included."""
        self.app = app
        self._rejection_body = rejection_body
        self._response_headers = dict(response_headers or {})
        self.faults = FaultPlan()
        self.journal = Journal()
        self.latency = 0.0
        self.rate_limit_per_second: int | None = None
        self.rate_limit_second = 1.0
        # Every request over a sliding window of `rate_limit_hour` seconds; when set, every
        # response carries X-RateLimit-Limit/-Remaining/-Reset of it (Railway).
        self.rate_limit_per_hour: int | None = None
        self.rate_limit_hour = 3600.0
        # Per operation key (RequestInfo.key), over a sliding window of `rate_limit_window`
        # seconds; when set, every response carries X-RateLimit-Limit/-Remaining/-Reset.
        self.rate_limit_per_minute: int | None = None
        self.rate_limit_window = 60.0
        # Mutations (RequestInfo.is_mutation) over a sliding window of `mutation_window` seconds,
        # every attempt counting, rejected ones included (Statsig); 429 + Retry-After beyond it.
        self.mutation_limit_per_window: int | None = None
        self.mutation_window = 10.0
        self._host, self._port, self._lifetime = host, port, lifetime
        self._limiter = RateLimiter()
        self._hourly_limiter = KeyedRateLimiter()
        self._keyed_limiter = KeyedRateLimiter()
        self._mutation_limiter = MutationRateLimiter()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._stopping = False
        self.stopped = threading.Event()
        # Requests held by "apply_late" and not applied yet.
        self._late = 0
        self._late_done = threading.Condition()
        # Per handler thread: the event the request being answered is held until ("apply_late";
        # set by _respond_admitted, taken by dispatch), so the pipeline's answers keep their shape.
        self._held = threading.local()

    def enforce(self, limits: PlanLimits | None) -> None:
        """Enforce an API plan's limits from now on (None: lift them all)."""
        limits = limits or PlanLimits()
        scale = limits.time_scale
        self.rate_limit_per_second, self.rate_limit_second = limits.per_second, 1.0 / scale
        self.rate_limit_per_hour, self.rate_limit_hour = limits.per_hour, 3600.0 / scale
        self.rate_limit_per_minute, self.rate_limit_window = limits.per_minute_per_key, 60.0 / scale

    # ------------------------------------------------------------ lifecycle

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._httpd is not None and not self._stopping

    def start(self) -> LoopbackServer:
        with self._lock:
            if self._httpd is not None:
                raise RuntimeError("server already started")
            self._httpd = _HTTPServer((self._host, self._port), self)
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"loopback-{self.port}",
                daemon=True,
            )
            self._thread.start()
            if self._lifetime is not None:
                # The hard lifetime: whatever the caller does, the listener goes away.
                self._timer = threading.Timer(self._lifetime, self.stop)
                self._timer.daemon = True
                self._timer.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; `stopped` is set once the port is released."""
        with self._lock:
            httpd, thread, timer = self._httpd, self._thread, self._timer
            if httpd is None or self._stopping:
                return
            self._stopping = True
        if timer is not None and timer is not threading.current_thread():
            timer.cancel()
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        if thread is not None:
            thread.join(_STOP_TIMEOUT)
        self.stopped.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server stopped (or timeout); True when it has stopped."""
        return self.stopped.wait(timeout)

    def settle(self, timeout: float) -> bool:
        """Block until every request held by an "apply_late" fault has been applied (or dropped,
        when the server stopped first), at most `timeout` seconds; True when none is pending."""
        with self._late_done:
            return self._late_done.wait_for(lambda: self._late == 0, timeout)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ request pipeline

    def dispatch(self, handler: _Handler, request: Request) -> None:
        arrived = time.monotonic()
        info = self._describe(request)
        if self.latency > 0:
            time.sleep(self.latency)
        response, fault, dropped = self._respond(request, info)
        held: threading.Event | None = getattr(self._held, "until", None)
        self._held.until = None
        # Journal first: a client that has its answer must find the request already recorded.
        self.journal.append(
            JournalEntry(
                operation_name=info.operation_name,
                root_fields=info.root_fields,
                variables=info.variables,
                status=None if dropped else response.status,
                fault=fault,
                is_mutation=info.is_mutation,
                query=info.query,
                query_string=request.query,
                at=arrived,
                method=request.method,
                path=request.path,
                key=info.key,
                body=info.body,
            )
        )
        if held is not None:
            handler.hold(held, lambda: self._stopping)
        elif dropped:
            handler.drop()
        else:
            if self._response_headers:
                response = Response(response.status, {**self._response_headers, **response.headers}, response.body)
            handler.send(response)

    def _describe(self, request: Request) -> RequestInfo:
        try:
            return self.app.describe(request)
        except Exception:
            return RequestInfo(key="")

    def _respond(self, request: Request, info: RequestInfo) -> tuple[Response, str | None, bool]:
        """(response, fault label, dropped) for one request: rate limit, faults, then the app."""
        wait = self._limiter.admit(self.rate_limit_per_second, self.rate_limit_second)
        if wait is not None:
            return self._rejection(429, max(wait, 0.001)), "rate_limit", False
        hourly = self._hourly_limiter.admit("", self.rate_limit_per_hour, self.rate_limit_hour)
        if hourly is not None and not hourly.admitted:
            rejection = json_response(429, self._rejection_body(429, _REASONS[429]), hourly.headers())
            return rejection, "rate_limit", False
        decision = self._keyed_limiter.admit(info.key, self.rate_limit_per_minute, self.rate_limit_window)
        if decision is not None and not decision.admitted:
            rejection = json_response(429, self._rejection_body(429, _REASONS[429]), decision.headers())
            return rejection, "rate_limit", False
        if info.is_mutation:
            mutation = self._mutation_limiter.admit(self.mutation_limit_per_window, self.mutation_window)
            if mutation is not None and not mutation.admitted:
                headers = {"Retry-After": format_seconds(_round_up(max(mutation.reset, 0.001)))}
                rejection = json_response(429, self._rejection_body(429, _REASONS[429]), headers)
                return rejection, "rate_limit", False
        response, fault_kind, dropped = self._respond_admitted(request, info)
        for admitted in (hourly, decision):
            if admitted is not None:
                response = Response(response.status, {**response.headers, **admitted.headers()}, response.body)
        return response, fault_kind, dropped

    def _respond_admitted(self, request: Request, info: RequestInfo) -> tuple[Response, str | None, bool]:
        fault = self.faults.take(info.key)
        if fault is not None and fault.kind in _REJECTING_FAULTS:
            return self._rejection(int(fault.kind), fault.retry_after), fault.kind, False
        if fault is not None and fault.kind == "apply_late":
            self._held.until = self._apply_later(request, fault.delay)
            # No answer goes out: the handler holds the connection (see dispatch).
            return Response(0, {}, b""), fault.kind, True
        response = self._apply(request)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        dropped = fault is not None and fault.kind == "drop_after_apply"
        return response, fault.kind if fault else None, dropped

    def _apply_later(self, request: Request, delay: float) -> threading.Event:
        """Apply `request` `delay` seconds from now on a thread of its own (unless the server has
        stopped by then); the event is set once it has been applied."""
        applied = threading.Event()
        with self._late_done:
            self._late += 1

        def apply() -> None:
            try:
                time.sleep(delay)
                if not self._stopping:
                    self._apply(request)
            finally:
                applied.set()
                with self._late_done:
                    self._late -= 1
                    self._late_done.notify_all()

        threading.Thread(target=apply, name=f"apply-late-{self._port}", daemon=True).start()
        return applied

    def _apply(self, request: Request) -> Response:
        try:
            return self.app(request)
        except Exception as exc:
            return json_response(500, {"message": f"sandbox error: {exc!r}"})

    def _rejection(self, status: int, retry_after: float) -> Response:
        headers = {"Retry-After": format_seconds(retry_after)} if status == 429 else {}
        return json_response(status, self._rejection_body(status, _REASONS[status]), headers)


class Emulator:
    """What every emulator shows its tests: lifecycle, faults, latency and the request journal.

    Subclasses build `self._server` (a LoopbackServer around their application) in __init__."""

    _server: LoopbackServer

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the emulator stopped (stop() or lifetime); True when it has."""
        return self._server.wait(timeout)

    def settle(self, timeout: float) -> bool:
        """Block until every request held by an "apply_late" fault has been applied, at most
        `timeout` seconds; True when none is pending."""
        return self._server.settle(timeout)

    @property
    def running(self) -> bool:
        return self._server.running

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def faults(self) -> FaultPlan:
        return self._server.faults

    @property
    def latency(self) -> float:
        return self._server.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._server.latency = seconds

    @property
    def journal(self) -> list[JournalEntry]:
        return self._server.journal.entries()

    def journal_clear(self) -> None:
        self._server.journal.clear()
