"""What the three API clients (Railway, Supabase, Statsig) share: one error family, one request
path and one way of handling a write whose answer was lost.

Errors say, in the user's terms, what could not be done, why, and which call failed:
`<what could not be done>: <reason> (<API> <operation>)`, where the operation is a GraphQL
operation name or "<METHOD> <path template>". They never carry a credential (every reason is
scrubbed of the session's secrets) and never chain the httpx exception (it holds the request and
its headers).

A client is built inside each provider call, used as a context manager and thrown away: it holds
an httpx client, which can be neither pickled into the state nor shared across the provider
host's worker threads. What outlives it is its API's Limiter (providers.limits), one per process:
every attempt of every client takes its turn there, and every answer is reported back to it.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Self, TypeVar

import httpx

from providers import http
from providers.http import (
    Endpoint,
    HttpFailure,
    HttpSession,
    LookupAfterLostAnswerFailed,
    OutcomeUnknown,
    RetryPolicy,
    apply_once,
    scrub,
)
from providers.limits import Limiter, NoTurnInTime, Request, Turn
from providers.settings import late_answer_grace

__all__ = [
    "ApiClient",
    "ApiError",
    "ApiFailure",
    "AuthError",
    "Conflict",
    "NotFound",
    "RateLimited",
    "RestClient",
    "one_line",
]

T = TypeVar("T")

# An API's own words longer than this are cut: they go into an error the user reads.
MAX_REASON = 300


# ---------------------------------------------------------------- errors


class ApiError(Exception):
    """An API operation failed. `api` is "Railway", "Supabase" or "Statsig"; `operation` the
    GraphQL operation name or "<METHOD> <path template>" (None when no one request failed, e.g.
    a readiness wait); `status_code` the HTTP status, when there was one."""

    def __init__(self, message: str, *, api: str, operation: str | None = None, status_code: int | None = None):
        super().__init__(message)
        self.api = api
        self.operation = operation
        self.status_code = status_code


class NotFound(ApiError):
    """The object (or the one it lives in) does not exist."""


class Conflict(ApiError):
    """The object clashes with an existing one (e.g. a name already taken)."""


class AuthError(ApiError):
    """The API rejected the credential."""


class RateLimited(ApiError):
    """The API kept answering 429 beyond the retry policy's attempts or deadline."""


class ApiFailure(ApiError):
    """Any other failure: an error answer, a malformed response, or the API unreachable."""


def one_line(text: str, limit: int = MAX_REASON) -> str:
    """`text` on one line, cut to `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- clients


class ApiClient:
    """One session with one API: the request path every call of a client goes through, the one
    place its errors are made, and the lost-answer handling of its creates. Subclasses name the
    API (`api`, as errors say it) and how to fix a rejected credential (`auth_hint`)."""

    api: ClassVar[str]
    auth_hint: ClassVar[str]

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        limiter: Limiter,
        secrets: Iterable[str] = (),
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        turn_deadline: float | None = None,
    ):
        """`headers` carry the credential (Authorization and the like are hidden from errors by
        name); `secrets` are further values no error may show, e.g. a key in a header of the
        API's own. The stack's `stagefleet:lateAnswerGrace` (or its environment variable), when
        set, replaces the policy's late-answer grace window. `limiter` paces every attempt (the
        API's process-wide one: providers.limits). `turn_deadline` (on the limiter's clock) is when
        waiting for a turn stops being worth it (`fleet status` passes its own deadline); by
        default a request waits as long as the limits make it, at most the longest of their
        windows."""
        self.base_url = base_url
        policy = policy or http.DEFAULT_RETRY_POLICY
        grace = late_answer_grace(at_most=policy.deadline)
        if grace is not None:
            policy = dataclasses.replace(policy, late_answer_grace=grace)
        self._limiter = limiter
        self._turn_deadline = turn_deadline
        self._turns = threading.local()
        self._http = HttpSession(
            headers=headers,
            policy=policy,
            transport=transport,
            secrets=secrets,
            before_attempt=self._await_turn,
            after_answer=self._answered,
        )

    @property
    def policy(self) -> RetryPolicy:
        return self._http.policy

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        operation: str,
        failure: str,
        idempotent: bool,
        json: Any = None,
    ) -> httpx.Response:
        """Send one request under the retry policy; return the answer (2xx or 4xx) for the caller
        to read. When the API cannot be reached or keeps failing, raise RateLimited (429s) or
        ApiFailure saying `failure` and why. OutcomeUnknown passes through for apply_once."""
        state = self._turns
        state.request = Request(operation, mutation=method.upper() not in ("GET", "HEAD"))
        state.refused = False
        try:
            # The first attempt's turn is taken before the retry policy's deadline starts: the
            # limits bound that wait (a full hourly budget frees up within the hour), the policy
            # bounds retries.
            start = self._limiter.now()
            first_deadline = self._turn_deadline
            if first_deadline is None:
                first_deadline = start + max(self._limiter.longest_window, self.policy.deadline)
            state.turn = self._limiter.acquire(state.request, deadline=first_deadline)
            state.first = True
            state.retry_deadline = self._limiter.now() + self.policy.deadline
            if self._turn_deadline is not None:
                state.retry_deadline = min(state.retry_deadline, self._turn_deadline)
            return self._http.send(method, url, json=json, idempotent=idempotent)
        except NoTurnInTime as exc:
            raise self.error(RateLimited, failure, str(exc), operation=operation, status_code=None) from None
        except OutcomeUnknown:
            raise
        except HttpFailure as exc:
            kind = RateLimited if exc.status_code == 429 else ApiFailure
            raise self.error(
                kind, failure, f"{self.api} API unavailable: {exc}", operation=operation, status_code=exc.status_code
            ) from None
        finally:
            self._end_turn()
            state.request = None

    def error(
        self, kind: type[ApiError], failure: str, reason: str, *, operation: str, status_code: int | None = None
    ) -> ApiError:
        """The error saying `failure`: `reason` (scrubbed of the session's credentials), naming
        the operation. Values a request carries (a password, a variable) are the caller's to
        scrub where the API's words are read: scrubbing all of the reason of a short value such
        as "1" would garble the URL and status it reports."""
        message = f"{failure}: {self._http.scrub(reason)} ({self.api} {operation})"
        return kind(message, api=self.api, operation=operation, status_code=status_code)

    def apply_once(
        self,
        write: Callable[[], T],
        find_applied: Callable[[], T | None],
        *,
        failure: str,
        operation: str,
        if_made: str = "the next `pulumi up` adopts it",
    ) -> T:
        """Run a create so that it happens once: when its answer is lost, `find_applied` looks for
        what it made (by the object's natural key) and adopts it; it is sent again only when
        nothing turned up for the policy's whole late-answer grace window, within the retry
        policy's bounds. `if_made` says what becomes of an object the create may have
        made unrecorded, when its answer was lost and looking for it failed too."""
        try:
            return apply_once(write, find_applied, policy=self.policy, lookup_errors=(ApiError,))
        except OutcomeUnknown as exc:
            reason = (
                f"{self.api} did not confirm it ({exc}) and nothing it made turned up while it was looked for "
                f"(up to {self.policy.late_answer_grace:g}s each time); run `pulumi refresh` and retry"
            )
            raise self.error(ApiFailure, failure, reason, operation=operation, status_code=exc.status_code) from None
        except LookupAfterLostAnswerFailed as lost:
            reason = (
                f"{self.api}'s answer was lost and looking for what the request made failed too ({lost.problem}); "
                f"it may have been made without being recorded: {if_made}"
            )
            raise self.error(ApiFailure, failure, reason, operation=operation) from None

    def _await_turn(self) -> None:
        """Before every attempt: wait for its turn in the API's limiter (every attempt, retries
        included, counts against the API's limits). The first attempt's turn was taken by `send`;
        a retry's wait counts against the retry policy's deadline."""
        state = self._turns
        if getattr(state, "first", False):
            state.first = False
            return
        self._end_turn()  # the previous attempt got no answer (a transport error)
        state.turn = self._limiter.acquire(state.request, deadline=state.retry_deadline, refused=state.refused)

    def _answered(self, response: httpx.Response) -> None:
        """Every answer, as it arrives: its turn is over, and the limiter learns from it."""
        state = self._turns
        turn: Turn | None = getattr(state, "turn", None)
        state.turn = None
        state.refused = response.status_code == 429
        if turn is not None:
            self._limiter.release(turn, status=response.status_code, headers=response.headers)

    def _end_turn(self) -> None:
        state = self._turns
        turn: Turn | None = getattr(state, "turn", None)
        state.turn = None
        state.first = False
        if turn is not None:
            self._limiter.release(turn)


_NOT_JSON = object()


class RestClient(ApiClient):
    """A client of a JSON REST API whose operations are Endpoints. Subclasses say how to read the
    API's explanation from an error body (`said`) and which answers mean a name is taken
    (`is_conflict`)."""

    def request(
        self,
        endpoint: Endpoint,
        *,
        failure: str,
        json: Any = None,
        query: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        idempotent: bool = True,
        secrets: Iterable[str | None] = (),
        **path_params: str,
    ) -> Any:
        """Send one request; return its parsed JSON body (None when empty). `failure` says what
        could not be done, in user terms; the API's own words are appended after scrubbing
        `secrets` (values the request carries) and the credentials. OutcomeUnknown passes
        through for apply_once."""
        operation = endpoint.key
        url = httpx.URL(endpoint.url(self.base_url, **path_params), params=query or None)
        response = self.send(
            endpoint.method, url, operation=operation, failure=failure, json=json, idempotent=idempotent
        )

        status = response.status_code
        try:
            payload = response.json() if response.content else None
        except ValueError:
            payload = _NOT_JSON
        if status < 400:
            if payload is _NOT_JSON:
                raise self.error(
                    ApiFailure,
                    failure,
                    f"unexpected answer (HTTP {status}, not JSON)",
                    operation=operation,
                    status_code=status,
                )
            return payload
        # The API's words may echo what was sent (a password): hide it.
        said = scrub(self.said(payload), (value for value in secrets if value))
        reason = f"HTTP {status} {said}".rstrip()
        if status in (401, 403):
            kind: type[ApiError] = AuthError
            reason = f"{reason}; {self.auth_hint}"
        elif status == 404:
            kind = NotFound
        elif status == 429:
            kind = RateLimited
        elif self.is_conflict(status, said.lower()):
            kind = Conflict
        else:
            kind = ApiFailure
        raise self.error(kind, failure, reason, operation=operation, status_code=status)

    def said(self, payload: Any) -> str:
        """The API's explanation from an error body, on one line and cut short ("" when none)."""
        raise NotImplementedError

    def is_conflict(self, status: int, said: str) -> bool:
        """Whether an error answer (`said` lower-cased) means the object clashes with another."""
        return status == 409

    def unexpected(self, endpoint: Endpoint, failure: str, what: str) -> ApiError:
        """The error for an answer that lacks what the client needs (`what`, in our words)."""
        return self.error(ApiFailure, failure, f"unexpected answer ({what})", operation=endpoint.key)

    def mapping(self, payload: Any, endpoint: Endpoint, failure: str) -> Mapping[str, Any]:
        """`payload` when it is a JSON object, else an API error."""
        if not isinstance(payload, Mapping):
            raise self.unexpected(endpoint, failure, "not a JSON object")
        return payload

    def parsed(self, build: Callable[[Mapping[str, Any]], T], payload: Any, endpoint: Endpoint, failure: str) -> T:
        """`build(payload)`, or an API error naming the endpoint when the answer lacks what it
        needs (never quoting the answer: it may hold a password or a key)."""
        node = self.mapping(payload, endpoint, failure)
        try:
            return build(node)
        except (KeyError, TypeError, ValueError):
            raise self.unexpected(endpoint, failure, "a required field is missing") from None
