"""HTTP probes of a service's public URL for `python -m fleet status`.

A probe is one GET of the service's URL + healthcheck path with its own timeout. It reports the
status code and the time to the response headers (the body is never read: a page at `/` may be
large, and the headers say all a healthcheck says), or what went wrong in words a person
understands ("connection refused", "TLS: certificate verify failed (...)", "timed out after 5s").

`--connect-to SUFFIX=URL` sends the probes of hosts ending in SUFFIX to URL instead, with the
original Host header (and TLS server name): how the tests and `make sandbox` reach the sandbox's
edge for `*.up.railway.app`. It is a transport, so every caller gets it by building its client
with `probe_client(...)`; no call site rewrites URLs.

Probes never carry a credential: the client has no Authorization header, and a service's URL is
public.
"""

from __future__ import annotations

import os
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import httpx

__all__ = [
    "CONNECT_TO_ENV",
    "PROBE_TIMEOUT",
    "ConnectTo",
    "ConnectToTransport",
    "ProbeResult",
    "connect_to_from_env",
    "describe_failure",
    "probe",
    "probe_client",
    "probe_url",
]

CONNECT_TO_ENV = "STAGEFLEET_CONNECT_TO"
# Seconds a probe may take: connect, send and receive the response headers.
PROBE_TIMEOUT = 5.0
_USER_AGENT = "stagefleet-status"


@dataclass(frozen=True)
class ConnectTo:
    """Send requests for hosts ending in `suffix` to `target` (scheme, host and port only)."""

    suffix: str
    target: httpx.URL

    @classmethod
    def parse(cls, text: str) -> ConnectTo:
        """`SUFFIX=URL`, e.g. `up.railway.app=http://127.0.0.1:8788`. Raises ValueError."""
        suffix, separator, target = text.partition("=")
        suffix = suffix.strip().strip(".").lower()
        if not separator or not suffix or not target.strip():
            raise ValueError(f"expected SUFFIX=URL (e.g. up.railway.app=http://127.0.0.1:8788), got {text!r}")
        try:
            url = httpx.URL(target.strip())
        except httpx.InvalidURL:
            url = None
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"{target.strip()!r} is not an http:// or https:// URL")
        if url.path not in ("", "/") or url.query:
            raise ValueError(f"{target.strip()!r}: give only scheme, host and port; the probe keeps its own path")
        return cls(suffix=suffix, target=url)

    def matches(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return host == self.suffix or host.endswith("." + self.suffix)


def connect_to_from_env(environ: dict[str, str] | None = None) -> list[ConnectTo]:
    """The rules in STAGEFLEET_CONNECT_TO: SUFFIX=URL pairs separated by commas or spaces.
    Raises ValueError naming the variable when one is malformed."""
    text = (os.environ if environ is None else environ).get(CONNECT_TO_ENV, "")
    rules = []
    for item in text.replace(",", " ").split():
        try:
            rules.append(ConnectTo.parse(item))
        except ValueError as error:
            raise ValueError(f"{CONNECT_TO_ENV}: {error}") from None
    return rules


class ConnectToTransport(httpx.AsyncBaseTransport):
    """Routes requests whose host matches a rule to the rule's target; everything else, and the
    request itself (method, path, headers, Host), is unchanged."""

    def __init__(self, rules: Sequence[ConnectTo], inner: httpx.AsyncBaseTransport) -> None:
        self._rules = tuple(rules)
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        rule = next((rule for rule in self._rules if rule.matches(request.url.host)), None)
        if rule is not None:
            # The Host header was set from the original URL when the request was built; the
            # server name for TLS must stay the original host too.
            request.extensions = {**request.extensions, "sni_hostname": request.url.host}
            request.url = request.url.copy_with(scheme=rule.target.scheme, host=rule.target.host, port=rule.target.port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def probe_client(
    rules: Iterable[ConnectTo] = (), *, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The client probes are sent with: no credentials, no redirects followed (a healthcheck
    answers itself), `rules` applied in front of `transport` (default: a real connection)."""
    inner = transport or httpx.AsyncHTTPTransport(retries=0)
    rules = tuple(rules)
    return httpx.AsyncClient(
        transport=ConnectToTransport(rules, inner) if rules else inner,
        headers={"User-Agent": _USER_AGENT, "Cache-Control": "no-cache"},
        follow_redirects=False,
        timeout=PROBE_TIMEOUT,
    )


def probe_url(url: str, healthcheck_path: str | None) -> str:
    """The service's URL with its healthcheck path (or `/`)."""
    return str(httpx.URL(url).join(healthcheck_path or "/"))


@dataclass(frozen=True)
class ProbeResult:
    url: str
    status: int | None  # the HTTP status, None when no answer came
    latency_ms: int | None  # time to the response headers
    error: str | None  # why no answer came, in words
    started_at: float  # monotonic time the request was sent

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def describe(self) -> str:
        """`200 in 84 ms`, `404 in 3 ms`, `connection refused`."""
        if self.status is not None:
            return f"{self.status} in {self.latency_ms} ms"
        return self.error or "no answer"

    def as_json(self) -> dict[str, object]:
        return {"status": self.status, "latencyMs": self.latency_ms, "error": self.error}


async def probe(
    client: httpx.AsyncClient,
    url: str,
    *,
    timeout: float = PROBE_TIMEOUT,
    clock: Callable[[], float] = time.monotonic,
) -> ProbeResult:
    """GET `url` once, bounded by `timeout`; never raises for what the network does."""
    started = clock()
    try:
        async with client.stream("GET", url, timeout=httpx.Timeout(timeout)) as response:
            latency = round((clock() - started) * 1000)
            return ProbeResult(url, response.status_code, latency, None, started)
    except httpx.HTTPError as failure:
        return ProbeResult(url, None, None, describe_failure(failure, timeout), started)


def describe_failure(failure: BaseException, timeout: float) -> str:
    """What a failed request ran into, in words; the first cause found in the exception chain
    that a person would recognise."""
    if isinstance(failure, httpx.TimeoutException):
        return f"timed out after {timeout:g}s"
    for cause in _chain(failure):
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = cause.verify_message or cause.reason
            return "TLS: certificate verify failed" + (f" ({reason})" if reason else "")
        if isinstance(cause, ssl.SSLError):
            reason = cause.reason or cause.strerror or "handshake failed"
            return "TLS: " + str(reason).replace("_", " ").lower()
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "DNS: host not found"
        if isinstance(cause, ConnectionResetError):
            return "connection reset"
    if isinstance(failure, httpx.RemoteProtocolError):
        return "connection closed without an answer"
    if isinstance(failure, httpx.ConnectError):
        return "could not connect" + (f": {failure}" if str(failure) else "")
    if isinstance(failure, httpx.UnsupportedProtocol):
        return "not an http:// or https:// URL"
    return f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__


def _chain(failure: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = failure
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
