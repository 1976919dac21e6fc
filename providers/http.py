"""The one HTTP mechanism every API client of the providers uses: timeouts, bounded retries with
full-jitter backoff and the pacing of the pauses between them (RetryPolicy), an overall deadline,
`Retry-After` (or `X-RateLimit-Reset` when a 429 has no `Retry-After`), and "did my write
happen?" handling. The API clients' shared base (errors, one request path) is providers.api.

Pulumi's dynamic-provider host ignores customTimeouts, so every wait here is bounded on its own:
per-request timeouts, a number of attempts, a cap on each sleep and a deadline over the whole call.

Retrying a write that may already have been applied could apply it twice (two environments, two
domains). So for non-idempotent requests a failure after the request may have reached the server
raises `OutcomeUnknown` instead of retrying; `apply_once` turns that into "look it up, adopt it, or
try again". The server may still be working on such a request (it applies a slow create after the
client has given up), so the lookup is repeated over a grace window before anything is sent again.
Failures that prove the request was not applied (429, refused connection) are retried for every
request.

No error raised from here carries credentials: messages are scrubbed of the Authorization value
and of any other secret the caller names, and the httpx exception (which holds the request and
its headers) is not chained.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

__all__ = [
    "CONNECT_TIMEOUT",
    "DEFAULT_RETRY_POLICY",
    "LATE_ANSWER_GRACE",
    "READ_TIMEOUT",
    "DeadlineExceeded",
    "HttpFailure",
    "Endpoint",
    "HttpSession",
    "LookupAfterLostAnswerFailed",
    "OutcomeUnknown",
    "RetriesExhausted",
    "RetryPolicy",
    "apply_once",
    "new_client",
    "rate_limit_reset_seconds",
    "retry_after_seconds",
    "scrub",
    "tls_context",
]

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
# How long a create whose answer was lost is looked for before it is sent again. A create that
# outlasted the 30 s read timeout is still being processed: 45 s more looks for it until 75 s after
# it was sent (2.5 times the client's own patience), and two whole lost-answer cycles (30 s + 45 s,
# twice: 150 s) still fit in the 180 s deadline of a call, with 30 s left for the last write.
LATE_ANSWER_GRACE = 45.0

_log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often to keep trying, and how to pause in between. `sleep`, `clock`,
    `wall_clock` and `jitter` are seams for tests.

    `spread` stretches every pause at random by up to that fraction of itself, at most
    `max_spread` seconds, on top of the backoff or an honoured Retry-After. An API whose limiter
    counts rejected attempts too (Statsig) needs it: clients that all come back exactly when
    Retry-After says are rejected together, each rejection counting against the quota. None
    by default.

    `late_answer_grace` is how long after a write's answer was lost its effect is looked for
    (the lookup repeated with backoff) before the write is sent again; see apply_once."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    deadline: float = 180.0
    spread: float = 0.0
    max_spread: float = math.inf
    late_answer_grace: float = LATE_ANSWER_GRACE
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    wall_clock: Callable[[], float] = field(default=time.time, repr=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if min(self.base_delay, self.max_delay, self.max_retry_after, self.deadline) < 0:
            raise ValueError("RetryPolicy delays and deadline must not be negative")
        if min(self.spread, self.max_spread) < 0:
            raise ValueError("RetryPolicy spread must not be negative")
        if not self.late_answer_grace >= 0:
            raise ValueError("RetryPolicy.late_answer_grace must be a number of seconds, not negative")

    def backoff(self, retry_number: int) -> float:
        """Full jitter: uniform in [0, min(max_delay, base_delay * 2**(retry_number - 1))]."""
        ceiling = min(self.max_delay, self.base_delay * (2.0 ** (retry_number - 1)))
        return float(self.jitter() * ceiling)

    def poll_interval(self, lookup_number: int) -> float:
        """The wait after the `lookup_number`th lookup for a lost answer's effect: exponential
        from base_delay, capped at max_delay, with equal jitter (at least half the ceiling), so
        a grace window holds a bounded number of lookups."""
        ceiling = min(self.max_delay, self.base_delay * (2.0 ** (lookup_number - 1)))
        return ceiling / 2 + self.jitter() * ceiling / 2

    def pause(self, seconds: float) -> None:
        """Wait `seconds` before trying again, stretched by the spread: in
        [seconds, seconds + min(max_spread, seconds * spread)]. `seconds` is the least wait
        (a Retry-After is honoured whole)."""
        if self.spread > 0:
            # Only with a spread: without one, the jitter seam is drawn for backoffs alone.
            seconds += min(self.max_spread, seconds * self.spread) * self.jitter()
        self.sleep(seconds)


DEFAULT_RETRY_POLICY = RetryPolicy()


class HttpFailure(Exception):
    """The API could not be reached, or kept failing. The message and `url` name the request
    without query string or user info, and never contain credentials."""

    def __init__(self, message: str, *, method: str, url: str, status_code: int | None = None):
        super().__init__(message)
        self.method = method
        self.url = url
        self.status_code = status_code


class RetriesExhausted(HttpFailure):
    """Every attempt failed with a retryable problem."""


class DeadlineExceeded(HttpFailure):
    """The overall deadline ran out (or a `Retry-After` asked for more than was left)."""


class OutcomeUnknown(HttpFailure):
    """A non-idempotent request failed after it may have been applied: look the result up
    before trying again."""


_ssl_context_lock = threading.Lock()
_ssl_context: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    """The process's one TLS context (certifi's CAs, or SSL_CERT_FILE / SSL_CERT_DIR when set).

    Building one reads and parses the whole CA bundle: about 50 ms of CPU, holding the GIL, which
    httpx would spend on every client and so on every provider call, serialising the provider
    host's worker threads. An SSLContext is safe to share between threads and holds nothing
    secret; it lives at module level, never on a provider (it cannot be pickled)."""
    global _ssl_context
    with _ssl_context_lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context()
        return _ssl_context


def new_client(
    *,
    headers: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    on_response: Callable[[httpx.Response], None] | None = None,
) -> httpx.Client:
    """An httpx.Client with the providers' timeouts. Build one per provider call: clients
    cannot be pickled and must not be shared across the host's worker threads' lifetimes.
    The TLS context is the process's shared one (see tls_context). `on_response` sees every
    answer's status and headers as it arrives, whichever transport or proxy carried it."""
    return httpx.Client(
        headers=dict(headers or {}),
        event_hooks={"response": [on_response]} if on_response is not None else None,
        timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
        transport=transport,
        follow_redirects=False,
        verify=tls_context() if transport is None else True,
    )


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every non-empty secret replaced by `***` (longest first, so a secret that
    contains another is hidden whole)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def retry_after_seconds(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), or None when
    absent or unreadable. `now` is wall-clock time (seconds since the epoch)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


# X-RateLimit-Reset comes as delta-seconds, or as a Unix time in seconds or milliseconds: numbers
# beyond these are read as times (1e9 s is 2001; 1e12 ms is 2001 too).
_EPOCH_SECONDS_FROM = 1e9
_EPOCH_MILLISECONDS_FROM = 1e12


def rate_limit_reset_seconds(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from an `X-RateLimit-Reset` header, or None when absent or unreadable.
    APIs disagree on its unit: small numbers are seconds from now, large ones a Unix time in
    seconds or milliseconds. `now` is wall-clock time (seconds since the epoch)."""
    if value is None or not value.strip():
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    if number >= _EPOCH_MILLISECONDS_FROM:
        number = number / 1000.0 - now
    elif number >= _EPOCH_SECONDS_FROM:
        number -= now
    return max(0.0, number)


_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_MAYBE_APPLIED = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.NetworkError, httpx.RemoteProtocolError)


def _may_have_been_applied(exc: httpx.TransportError) -> bool | None:
    """Whether the server may have acted on a request that failed with `exc`; None for errors
    that no retry can fix (unsupported scheme, invalid request, proxy misconfiguration)."""
    if isinstance(exc, _NOT_SENT):
        return False
    if isinstance(exc, _MAYBE_APPLIED):
        return True
    return None


class HttpSession:
    """Sends requests through one httpx.Client under a RetryPolicy. Use as a context manager;
    one session per provider call. `before_attempt` runs before every attempt, retries
    included (each one counts against an API's rate limit); `after_answer` sees every answer
    (retried 429s and 5xx included) as it arrives."""

    def __init__(
        self,
        *,
        headers: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        secrets: Iterable[str] = (),
        before_attempt: Callable[[], None] | None = None,
        after_answer: Callable[[httpx.Response], None] | None = None,
    ):
        self._client = new_client(headers=headers, transport=transport, on_response=after_answer)
        self._policy = policy or DEFAULT_RETRY_POLICY
        self._secrets = tuple(secrets) + _credential_values(headers or {})
        self._before_attempt = before_attempt

    @property
    def policy(self) -> RetryPolicy:
        return self._policy

    def scrub(self, text: str) -> str:
        return scrub(text, self._secrets)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        idempotent: bool,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request, retrying what is safe to retry. Returns the first response that is
        neither 429 nor 5xx (the caller interprets 2xx/4xx). Raises OutcomeUnknown (writes only),
        RetriesExhausted, DeadlineExceeded or HttpFailure."""
        policy = self._policy
        target = httpx.URL(url)
        safe_url = _without_credentials(target)
        where = f"{method} {safe_url}"
        deadline_at = policy.clock() + policy.deadline
        failure = _Failure("no attempt made")
        for attempt in range(1, policy.attempts + 1):
            if self._before_attempt is not None:
                # Before the deadline is read: whatever it waits counts against the deadline.
                self._before_attempt()
            remaining = deadline_at - policy.clock()
            if remaining <= 0:
                raise DeadlineExceeded(
                    f"{where}: deadline of {policy.deadline:g}s exceeded; last problem: {failure.problem}",
                    method=method,
                    url=safe_url,
                    status_code=failure.status,
                )
            outcome = self._attempt(method, target, json=json, headers=headers, timeout=remaining)
            if isinstance(outcome, httpx.Response):
                return outcome
            failure = outcome
            if failure.maybe_applied is None:
                raise HttpFailure(f"{where}: {failure.problem}", method=method, url=safe_url)
            if failure.maybe_applied and not idempotent:
                raise OutcomeUnknown(
                    f"{where}: {failure.problem}; the request may have been applied",
                    method=method,
                    url=safe_url,
                    status_code=failure.status,
                )
            if attempt == policy.attempts:
                break
            if failure.retry_after is not None:
                delay = min(failure.retry_after, policy.max_retry_after)
            else:
                delay = policy.backoff(attempt)
            if policy.clock() + delay > deadline_at:
                raise DeadlineExceeded(
                    f"{where}: {failure.problem}; waiting {delay:.1f}s more would pass the deadline "
                    f"of {policy.deadline:g}s",
                    method=method,
                    url=safe_url,
                    status_code=failure.status,
                )
            _log.debug(
                "%s: %s; retrying in %.2fs (attempt %d of %d)",
                where,
                failure.problem,
                delay,
                attempt,
                policy.attempts,
            )
            policy.pause(delay)

        raise RetriesExhausted(
            f"{where}: gave up after {policy.attempts} attempts; last problem: {failure.problem}",
            method=method,
            url=safe_url,
            status_code=failure.status,
        )

    def _attempt(
        self,
        method: str,
        target: httpx.URL,
        *,
        json: Any,
        headers: Mapping[str, str] | None,
        timeout: float,
    ) -> httpx.Response | _Failure:
        request = self._client.build_request(
            method, target, json=json, headers=headers, timeout=_timeout_within(timeout)
        )
        try:
            response = self._client.send(request)
        except httpx.TransportError as exc:
            # Only text leaves this block: the exception holds the request and its headers.
            return _Failure(
                self.scrub(f"{type(exc).__name__}: {exc}".rstrip(": ")),
                maybe_applied=_may_have_been_applied(exc),
            )
        status = response.status_code
        if status == 429:
            now = self._policy.wall_clock()
            retry_after = retry_after_seconds(response.headers.get("retry-after"), now=now)
            if retry_after is None:
                retry_after = rate_limit_reset_seconds(response.headers.get("x-ratelimit-reset"), now=now)
            response.close()
            return _Failure("HTTP 429 (rate limited)", maybe_applied=False, status=status, retry_after=retry_after)
        if status >= 500:
            response.close()
            return _Failure(f"HTTP {status}", maybe_applied=True, status=status)
        return response


@dataclass(frozen=True)
class _Failure:
    problem: str
    # None: retrying cannot help (bad scheme, invalid request); False: the server did not act on it.
    maybe_applied: bool | None = False
    status: int | None = None
    retry_after: float | None = None


class LookupAfterLostAnswerFailed(Exception):
    """A write's answer was lost and looking for what it made failed too: the object may exist
    unrecorded. `problem` is the lookup's own error."""

    def __init__(self, problem: Exception):
        super().__init__(str(problem))
        self.problem = problem


def apply_once(
    write: Callable[[], T],
    find_applied: Callable[[], T | None],
    *,
    policy: RetryPolicy | None = None,
    lookup_errors: tuple[type[Exception], ...] = (),
) -> T:
    """Run a non-idempotent `write` so that its effect happens once. When the write's outcome is
    unknown, `find_applied` looks for its effect (by the object's natural key, or what appeared
    since): found -> adopt it. The server may still be applying the write, so the lookup is
    repeated with backoff for the policy's `late_answer_grace` seconds; only when the whole window
    has passed with nothing found is the write sent again. Bounded by the policy's attempts and
    deadline: the last OutcomeUnknown is re-raised when they run out, or when the deadline would
    cut a window short (writing again before the window ended could make a second object). A
    lookup that fails with one of `lookup_errors` raises LookupAfterLostAnswerFailed."""
    policy = policy or DEFAULT_RETRY_POLICY
    deadline_at = policy.clock() + policy.deadline
    for attempt in range(1, policy.attempts + 1):
        try:
            return write()
        except OutcomeUnknown as lost:
            applied, window_ended = _look_for_late_answer(find_applied, policy, deadline_at, lookup_errors)
            if applied is not None:
                return applied
            if attempt == policy.attempts or not window_ended or policy.clock() >= deadline_at:
                raise
            _log.warning(
                "%s: nothing it made appeared within %gs of its lost answer; sending it again (attempt %d of %d)",
                lost,
                policy.late_answer_grace,
                attempt + 1,
                policy.attempts,
            )
    raise AssertionError("unreachable: the last attempt returns or raises")


def _look_for_late_answer(
    find_applied: Callable[[], T | None],
    policy: RetryPolicy,
    deadline_at: float,
    lookup_errors: tuple[type[Exception], ...],
) -> tuple[T | None, bool]:
    """(what `find_applied` found, or None; whether the whole grace window was looked through).
    Looks at once, then again after each poll interval, and a last time when the window ends."""
    window_ends = policy.clock() + policy.late_answer_grace
    stop_at = min(window_ends, deadline_at)
    lookup = 0
    while True:
        lookup += 1
        try:
            applied = find_applied()
        except lookup_errors as problem:
            raise LookupAfterLostAnswerFailed(problem) from None
        if applied is not None:
            return applied, True
        now = policy.clock()
        if now >= stop_at:
            return None, stop_at >= window_ends
        policy.sleep(min(policy.poll_interval(lookup), stop_at - now))


def _timeout_within(remaining: float) -> httpx.Timeout:
    # A single slow request must not carry the call past its overall deadline.
    return httpx.Timeout(min(READ_TIMEOUT, remaining), connect=min(CONNECT_TIMEOUT, remaining))


def _without_credentials(url: httpx.URL) -> str:
    # Query strings and user info are left out: they are where credentials would hide.
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{url.path}"


def _credential_values(headers: Mapping[str, str]) -> tuple[str, ...]:
    values: list[str] = []
    for name, value in headers.items():
        if name.lower() in {"authorization", "apikey", "x-api-key", "statsig-api-key", "cookie"}:
            values.append(value)
            scheme, _, credential = value.partition(" ")
            if credential:
                values.append(credential)
    return tuple(values)


@dataclass(frozen=True)
class Endpoint:
    """One operation of a REST API: HTTP method and path template exactly as the API documents
    it (e.g. "/v1/projects/{ref}"), which is also how the emulators and contract tests name it."""

    method: str
    path: str

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, root: str, **path_params: str) -> str:
        path = self.path
        for name, value in path_params.items():
            path = path.replace("{" + name + "}", urllib.parse.quote(str(value), safe=""))
        if "{" in path:
            raise ValueError(f"{self.key}: path parameters missing")
        return root + path
