"""Watching a stack's services for `python -m fleet status`: their latest Railway deployments and
HTTP probes (fleet.probe) of their public URLs, looked at once or polled concurrently until each
settles.

`Watch` runs in one asyncio loop: a task per environment asks Railway (through the sync
RailwayClient in worker threads), a task per service with a URL probes it. How often each asks,
and why that meets the issue's goals, is the polling design in fleet/status.py's docstring.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx

from fleet.probe import PROBE_TIMEOUT, ProbeResult, probe, probe_url
from providers.api import ApiError, AuthError
from providers.railway.client import (
    DEPLOYED,
    FAILED_FOR_GOOD,
    DeploymentInfo,
    deployment_logs_url,
)

__all__ = [
    "API_CONCURRENCY",
    "SCHEDULE",
    "WAKE_TIMEOUT",
    "Backoff",
    "Railway",
    "RailwayRejected",
    "RateBound",
    "Schedule",
    "ServiceReport",
    "ServiceTarget",
    "StackTargets",
    "Verdict",
    "Watch",
    "judge",
]

Verdict = Literal["healthy", "failed", "waiting"]
# Railway requests in flight at once (worker threads): the API allows 10 a second on Hobby.
API_CONCURRENCY = 4
WAKE_TIMEOUT = 30.0  # seconds a probe of a service that sleeps may take: it starts before it answers


# --- what to look at -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceTarget:
    environment: str
    environment_id: str
    service: str
    service_id: str
    url: str | None
    healthcheck_path: str | None
    sleeps_when_idle: bool

    @property
    def name(self) -> str:
        return f"{self.environment}/{self.service}"

    @property
    def probe_url(self) -> str | None:
        return probe_url(self.url, self.healthcheck_path) if self.url else None


@dataclass(frozen=True)
class StackTargets:
    stack: str
    project_id: str
    services: tuple[ServiceTarget, ...]

    def environment_ids(self) -> dict[str, str]:
        return {target.environment: target.environment_id for target in self.services}


# --- verdicts -------------------------------------------------------------------------------------


def judge(*, status: str | None, gone: bool, has_url: bool, answered: bool) -> Verdict:
    """A service's verdict from its latest deployment's status and whether its URL answered 2xx
    (to a probe that can only have reached that deployment)."""
    if gone or status in FAILED_FOR_GOOD:
        return "failed"
    if status in DEPLOYED and (answered or not has_url):
        return "healthy"
    return "waiting"


@dataclass(frozen=True)
class ServiceReport:
    """One service as the outputs show it."""

    environment: str
    environment_id: str
    service: str
    service_id: str
    verdict: Verdict
    url: str | None
    deployment: DeploymentInfo | None
    note: str | None  # why there is no deployment to show, or the last API problem
    probe: ProbeResult | None
    logs_url: str | None
    # When this watch first saw the verdict healthy (UTC); None unless the verdict is healthy.
    healthy_at: dt.datetime | None = None

    @property
    def name(self) -> str:
        return f"{self.environment}/{self.service}"

    @property
    def status(self) -> str | None:
        return self.deployment.status if self.deployment else None

    @property
    def commit(self) -> str | None:
        return self.deployment.commit_hash if self.deployment else None

    def progress_key(self) -> tuple[object, ...]:
        """What a progress line reports: a new line only when one of these changes."""
        answer = (self.probe.status, self.probe.error) if self.probe else None
        return (self.verdict, self.status, self.deployment.id if self.deployment else None, self.note, answer)


# --- pacing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    api_first: float = 2.0
    api_growth: float = 1.5
    api_cap: float = 10.0
    api_per_second: float = 0.5  # the environment's token bucket: 1 request per 2 s ...
    api_burst: int = 2  # ... and at most 2 at once
    probe_quick: float = 0.25
    probe_growth: float = 1.2
    probe_cap: float = 2.0


SCHEDULE = Schedule()


class Backoff:
    """Pauses that grow by `growth` up to `cap`; `reset` starts again from `first`."""

    def __init__(self, first: float, growth: float, cap: float) -> None:
        self._first, self._growth, self._cap = first, growth, cap
        self._next = first

    def next(self) -> float:
        pause = self._next
        self._next = min(self._cap, pause * self._growth)
        return pause

    def reset(self) -> None:
        self._next = self._first


class RateBound:
    """A token bucket: `burst` tokens, refilled at `per_second`."""

    def __init__(self, per_second: float, burst: int, clock: Callable[[], float]) -> None:
        self._per_second, self._burst, self._clock = per_second, burst, clock
        self._tokens = float(burst)
        self._at = clock()

    def wait_time(self) -> float:
        """Seconds until a token is free (0 when one is)."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._per_second)
        self._at = now
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self._per_second

    def take(self) -> None:
        self._tokens -= 1


# --- watching -------------------------------------------------------------------------------------


class Railway(Protocol):
    """What status needs of RailwayClient (tests give a fake)."""

    def latest_deployments(self, environment_id: str) -> Mapping[str, DeploymentInfo | None] | None: ...

    def close(self) -> None: ...


Progress = Callable[[Sequence[ServiceReport], Sequence[ServiceReport]], None]


@dataclass(eq=False)
class _Service:
    target: ServiceTarget
    deployment: DeploymentInfo | None = None
    note: str | None = None
    looked: bool = False  # the API has answered for it at least once
    gone: bool = False
    probe: ProbeResult | None = None
    deployed_seen_at: float | None = None  # when the API first said this deployment is up
    failed_probe_since_deploy: bool = False  # a non-2xx probe since this deployment was new
    answered_after_failure: bool = False  # ... followed by a 2xx: something new answers
    settled: bool = False
    healthy_at: dt.datetime | None = None  # when the verdict turned healthy, as Watch saw it
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def deployed(self) -> bool:
        return self.deployment is not None and self.deployment.deployed

    def answered(self) -> bool:
        if self.probe is None or not self.probe.ok:
            return False
        if self.answered_after_failure:
            return True
        return self.deployed_seen_at is not None and self.probe.started_at >= self.deployed_seen_at

    def verdict(self) -> Verdict:
        status = self.deployment.status if self.deployment else None
        return judge(status=status, gone=self.gone, has_url=self.target.url is not None, answered=self.answered())

    def report(self, project_id: str) -> ServiceReport:
        target, deployment = self.target, self.deployment
        logs = None
        if deployment is not None:
            logs = deployment_logs_url(
                project_id=project_id,
                service_id=target.service_id,
                environment_id=target.environment_id,
                deployment_id=deployment.id,
            )
        verdict = self.verdict()
        return ServiceReport(
            environment=target.environment,
            environment_id=target.environment_id,
            service=target.service,
            service_id=target.service_id,
            verdict=verdict,
            url=target.url,
            deployment=deployment,
            note=self.note,
            probe=self.probe,
            logs_url=logs,
            healthy_at=self.healthy_at if verdict == "healthy" else None,
        )


@dataclass(eq=False)
class _Environment:
    name: str
    railway_environment_id: str
    services: list[_Service]
    rate: RateBound
    attention: asyncio.Event = field(default_factory=asyncio.Event)
    confirm: bool = False  # a probe saw a service start answering: ask the API at once
    client: Railway | None = None

    def settled(self) -> bool:
        return all(service.settled for service in self.services)


class RailwayRejected(Exception):
    """Railway rejected the token: nothing more can be learned."""


class Watch:
    """Looks at (once) or watches (until settled or the deadline) every service of a stack."""

    def __init__(
        self,
        targets: StackTargets,
        *,
        railway: Callable[[], Railway],
        http: httpx.AsyncClient,
        deadline: float,
        schedule: Schedule = SCHEDULE,
        progress: Progress | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        """`clock` paces the polls (seconds, monotonic); `wall_clock` (UTC now by default) dates
        the moment each service is seen healthy (ServiceReport.healthy_at)."""
        self._targets, self._railway, self._http = targets, railway, http
        self._schedule, self._progress, self._clock = schedule, progress, clock
        self._wall_clock = wall_clock or _utc_now
        self._deadline_at = clock() + deadline
        self._services = [_Service(target) for target in targets.services]
        self._environments = [
            _Environment(
                name,
                environment_id,
                [s for s in self._services if s.target.environment == name],
                RateBound(schedule.api_per_second, schedule.api_burst, clock),
            )
            for name, environment_id in targets.environment_ids().items()
        ]
        self._home = {id(service): env for env in self._environments for service in env.services}
        self._api_slots = asyncio.Semaphore(API_CONCURRENCY)
        self._shown: dict[int, tuple[object, ...]] = {}
        self._fatal: str | None = None

    def reports(self) -> list[ServiceReport]:
        return [service.report(self._targets.project_id) for service in self._services]

    async def look(self) -> list[ServiceReport]:
        """One look: each environment's deployments, then a probe of each of its URLs."""

        async def environment(env: _Environment) -> None:
            await self._ask_railway(env)
            await asyncio.gather(*(self._probe(s) for s in env.services if s.target.url and not s.gone))

        await self._run([environment(env) for env in self._environments])
        return self.reports()

    async def wait(self) -> list[ServiceReport]:
        """Poll until every service is healthy or failed, or the deadline passes."""
        tasks = [self._poll_environment(env) for env in self._environments]
        tasks += [self._probe_until_settled(s) for s in self._services if s.target.url]
        await self._run(tasks)
        return self.reports()

    async def _run(self, coroutines: list[Any]) -> None:
        tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
        if not tasks:
            return
        try:
            # Each task stops at the deadline by itself; the margin only guards against a bug.
            done, pending = await asyncio.wait(tasks, timeout=self._remaining() + 5.0)
            for task in pending:
                task.cancel()
            for task in done:
                task.result()
        finally:
            for env in self._environments:
                if env.client is not None:
                    env.client.close()
        if self._fatal is not None:
            raise RailwayRejected(self._fatal)

    # -- Railway

    async def _poll_environment(self, env: _Environment) -> None:
        backoff = Backoff(self._schedule.api_first, self._schedule.api_growth, self._schedule.api_cap)
        due = self._clock()
        while not env.settled() and self._fatal is None:
            if not await self._pause(env.attention, due - self._clock()):
                return
            env.attention.clear()
            if env.settled() or not (env.confirm or self._clock() >= due):
                continue  # woken by a service that settled: keep to the schedule
            env.confirm = False
            if not await self._admit(env.rate):
                return
            if await self._ask_railway(env):
                backoff.reset()
            due = self._clock() + backoff.next()

    async def _ask_railway(self, env: _Environment) -> bool:
        """One request for every service of the environment; True when a status changed."""
        if env.client is None:
            env.client = self._railway()
        client = env.client
        try:
            async with self._api_slots:
                answer = await asyncio.wait_for(
                    asyncio.to_thread(client.latest_deployments, env.railway_environment_id),
                    timeout=max(self._remaining(), 0.001),
                )
        except TimeoutError:
            return False
        except AuthError as error:
            self._stop(str(error))
            return False
        except ApiError as error:
            for service in env.services:
                service.note, service.looked = f"Railway API: {error}", True
                self._changed(service)
            return False
        now = self._clock()
        changed = [service for service in env.services if self._learn(service, answer, now)]
        for service in env.services:
            self._changed(service)
        return bool(changed)

    def _learn(self, service: _Service, answer: Mapping[str, DeploymentInfo | None] | None, now: float) -> bool:
        """Take in the API's answer for one service; True when its deployment or status changed."""
        previous = service.deployment
        before = ((previous.id, previous.status) if previous else None, service.gone)
        service.note, service.looked = None, True
        if answer is None or service.target.service_id not in answer:
            service.gone = True
            service.note = "environment not found on Railway" if answer is None else "service not in the environment"
        else:
            latest = answer[service.target.service_id]
            if latest is None:
                service.note = "no deployment yet"
            elif previous is not None and previous.id != latest.id:
                # A newer deployment: what the probes saw of the older one says nothing of it.
                service.failed_probe_since_deploy = service.answered_after_failure = False
            if latest is None or not latest.deployed:
                service.deployed_seen_at = None
            elif not (previous is not None and previous.id == latest.id and previous.deployed):
                service.deployed_seen_at = now
            service.deployment = latest
        latest_seen = service.deployment
        after = ((latest_seen.id, latest_seen.status) if latest_seen else None, service.gone)
        if after != before:
            service.wake.set()
        return after != before

    async def _admit(self, rate: RateBound) -> bool:
        while True:
            wait = rate.wait_time()
            if wait <= 0:
                rate.take()
                return True
            if wait >= self._remaining():
                return False
            await asyncio.sleep(wait)

    # -- probes

    async def _probe_until_settled(self, service: _Service) -> None:
        backoff = Backoff(self._schedule.probe_quick, self._schedule.probe_growth, self._schedule.probe_cap)
        while not service.settled and self._fatal is None and self._remaining() > 0:
            if service.gone:
                return
            if await self._probe(service):
                return
            quick = service.deployment is not None and service.deployment.status == "DEPLOYING"
            pause = self._schedule.probe_quick if quick else backoff.next()
            if not await self._pause(service.wake, pause):
                return
            if service.wake.is_set():
                service.wake.clear()
                backoff.reset()

    async def _probe(self, service: _Service) -> bool:
        """Probe once; whether the service has settled since."""
        url = service.target.probe_url
        assert url is not None
        # A service that sleeps when idle may be asleep by the time the probe arrives.
        sleeping = service.deployment is not None and service.deployment.status == "SLEEPING"
        may_sleep = sleeping or service.target.sleeps_when_idle
        timeout = min(WAKE_TIMEOUT if may_sleep else PROBE_TIMEOUT, self._remaining())
        if timeout <= 0:
            return service.settled
        result = await probe(self._http, url, timeout=timeout, clock=self._clock)
        service.probe = result
        if not result.ok:
            service.failed_probe_since_deploy = True
            service.answered_after_failure = False
        elif service.failed_probe_since_deploy and not service.answered_after_failure:
            service.answered_after_failure = True
            if not service.deployed:
                # Nothing answered before: the new deployment is probably up. Ask Railway now.
                env = self._home[id(service)]
                env.confirm = True
                env.attention.set()
        self._changed(service)
        return service.settled

    # -- shared

    def _changed(self, service: _Service) -> None:
        # Every answer and every probe passes here: the first one that makes the verdict healthy
        # is the moment this watch noticed.
        if service.verdict() != "healthy":
            service.healthy_at = None
        elif service.healthy_at is None:
            service.healthy_at = self._wall_clock()
        if not service.settled and service.verdict() != "waiting":
            service.settled = True
            self._home[id(service)].attention.set()  # its environment may have no one left to poll for
            service.wake.set()
        if not service.looked:
            return  # nothing worth a line before Railway has said which deployment it is
        report = service.report(self._targets.project_id)
        key = report.progress_key()
        if self._shown.get(id(service)) != key:
            self._shown[id(service)] = key
            if self._progress is not None:
                self._progress(self.reports(), [report])

    async def _pause(self, event: asyncio.Event, seconds: float) -> bool:
        """Wait `seconds` or until `event`; False when the deadline came first."""
        remaining = self._remaining()
        if remaining <= 0:
            return False
        if not event.is_set() and seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=min(seconds, remaining))
        return self._remaining() > 0 and self._fatal is None

    def _remaining(self) -> float:
        return self._deadline_at - self._clock()

    def _stop(self, message: str) -> None:
        self._fatal = message
        for env in self._environments:
            env.attention.set()
        for service in self._services:
            service.wake.set()


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
