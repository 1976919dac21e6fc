"""Deployments of the Railway sandbox: what each one runs, and its status over time.

A deployment records, when it starts, what its code will see (variables, instance settings, the
commit of its branch) and then moves QUEUED -> BUILDING -> DEPLOYING -> SUCCESS on a schedule
fixed at its start (`DeployTiming`). Nothing runs in the background: the ledger applies every
transition that is due on the injected clock whenever it is read (`settle`), in time order, so
a test that advances a fake clock sees exactly what a poller of the real API would see, and every
transition keeps the instant it happened.

Railway's rules modelled here: a new deployment supersedes (REMOVED at once) an older one of the
same service instance still in progress; a deployment becoming SUCCESS retires (REMOVED) the
instance's previous running ones; FAILED, CRASHED, REMOVED and SKIPPED are final. Tests plan
failures (`plan_outcome`), crash or put a running deployment to sleep; the edge wakes it.

Callers hold the Railway state lock: the ledger is not thread-safe by itself.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, get_args

__all__ = [
    "ACTIVE_STATUSES",
    "Clock",
    "DeployTiming",
    "Deployment",
    "DeploymentCause",
    "DeploymentLedger",
    "DeploymentSource",
    "DeploymentStatus",
    "FINAL_STATUSES",
    "IN_PROGRESS_STATUSES",
    "Outcome",
    "Transition",
    "deployment_node",
    "deployment_record",
    "fake_commit",
]

Clock = Callable[[], float]
# What started a deployment: the API (serviceInstanceDeployV2), a variable write without
# skipDeploys, a fork without skipInitialDeploys, or a git push to a trigger's branch.
DeploymentCause = Literal["api", "variables", "fork", "push"]
Outcome = Literal["FAILED", "CRASHED"]
OUTCOMES: frozenset[str] = frozenset(get_args(Outcome))


class DeploymentStatus(StrEnum):
    """Railway's DeploymentStatus enum, every value."""

    BUILDING = "BUILDING"
    CRASHED = "CRASHED"
    DEPLOYING = "DEPLOYING"
    FAILED = "FAILED"
    INITIALIZING = "INITIALIZING"
    NEEDS_APPROVAL = "NEEDS_APPROVAL"
    QUEUED = "QUEUED"
    REMOVED = "REMOVED"
    REMOVING = "REMOVING"
    SKIPPED = "SKIPPED"
    SLEEPING = "SLEEPING"
    SUCCESS = "SUCCESS"
    WAITING = "WAITING"


S = DeploymentStatus
# Running: the edge reaches it (a SLEEPING one wakes on a request).
ACTIVE_STATUSES = frozenset({S.SUCCESS, S.SLEEPING})
FINAL_STATUSES = frozenset({S.FAILED, S.CRASHED, S.REMOVED, S.SKIPPED})
# Not yet running nor over: a newer deployment of the same instance supersedes these.
IN_PROGRESS_STATUSES = frozenset({S.QUEUED, S.WAITING, S.INITIALIZING, S.NEEDS_APPROVAL, S.BUILDING, S.DEPLOYING})


@dataclass(frozen=True)
class DeployTiming:
    """Seconds a deployment spends queued, building and deploying (on the sandbox clock)."""

    queued: float = 0.0
    building: float = 0.2
    deploying: float = 0.2

    def __post_init__(self) -> None:
        if min(self.queued, self.building, self.deploying) < 0:
            raise ValueError("deploy timings must be >= 0 seconds")


@dataclass(frozen=True)
class DeploymentSource:
    """What the code of a deployment sees, recorded when the deployment starts: later changes
    to variables, settings or the branch need another deployment, as on Railway."""

    repo: str | None
    branch: str | None
    commit_hash: str | None
    commit_message: str | None
    variables: Mapping[str, str]
    settings: Mapping[str, Any]

    def meta(self) -> dict[str, Any]:
        """The DeploymentMeta JSON object."""
        return {
            "branch": self.branch,
            "repo": self.repo,
            "commitHash": self.commit_hash,
            "commitMessage": self.commit_message,
        }


@dataclass(frozen=True)
class Transition:
    """A deployment entering `status` at `at` (sandbox clock) = `wall` (UTC)."""

    status: DeploymentStatus
    at: float
    wall: datetime


@dataclass
class Deployment:
    id: str
    project_id: str
    environment_id: str
    service_id: str
    trigger: DeploymentCause
    source: DeploymentSource
    history: list[Transition]
    # Transitions still to come, in time order; empty once running or over.
    schedule: list[tuple[DeploymentStatus, float]] = field(default_factory=list)

    @property
    def status(self) -> DeploymentStatus:
        return self.history[-1].status

    @property
    def created(self) -> Transition:
        return self.history[0]

    @property
    def updated(self) -> Transition:
        return self.history[-1]

    @property
    def instance(self) -> tuple[str, str]:
        return (self.environment_id, self.service_id)

    def first_entered(self, status: DeploymentStatus) -> Transition | None:
        return next((t for t in self.history if t.status == status), None)


def fake_commit(repo: str, branch: str, head: int) -> str:
    """A deterministic 40-hex commit hash for the `head`-th commit of a branch."""
    return hashlib.sha1(f"{repo}\n{branch}\n{head}".encode()).hexdigest()


def deployment_node(deployment: Deployment, domain: str | None) -> dict[str, Any]:
    """The GraphQL Deployment; `domain` is the service's first generated domain, if any."""
    status = deployment.status
    return {
        "id": deployment.id,
        "status": status.value,
        "createdAt": deployment.created.wall,
        "updatedAt": deployment.updated.wall,
        "statusUpdatedAt": deployment.updated.wall,
        "environmentId": deployment.environment_id,
        "projectId": deployment.project_id,
        "serviceId": deployment.service_id,
        "meta": deployment.source.meta(),
        "url": f"https://{domain}" if domain else None,
        "staticUrl": domain,
        # Redeploying is offered for a deployment that is over or running, not one on its way.
        "canRedeploy": status in FINAL_STATUSES or status in ACTIVE_STATUSES,
        "canRollback": status == S.REMOVED and deployment.first_entered(S.SUCCESS) is not None,
        "deploymentStopped": status in FINAL_STATUSES,
        "suggestAddServiceDomain": domain is None,
    }


def deployment_record(deployment: Deployment) -> dict[str, Any]:
    """A deployment as plain data for tests. `createdAt` and `statusTimes` (when it first
    entered each status) are on the sandbox clock; `history` has every transition, with its
    wall time (`wallAt`, UTC) too."""
    source = deployment.source
    status_times: dict[str, float] = {}
    for transition in deployment.history:
        status_times.setdefault(transition.status.value, transition.at)
    return {
        "id": deployment.id,
        "projectId": deployment.project_id,
        "environmentId": deployment.environment_id,
        "serviceId": deployment.service_id,
        "status": deployment.status.value,
        "trigger": deployment.trigger,
        "createdAt": deployment.created.at,
        "statusTimes": status_times,
        "history": [{"status": t.status.value, "at": t.at, "wallAt": t.wall} for t in deployment.history],
        "branch": source.branch,
        "repo": source.repo,
        "commitHash": source.commit_hash,
        "commitMessage": source.commit_message,
        "variables": dict(source.variables),
        "settings": dict(source.settings),
    }


@dataclass
class _OutcomePlan:
    environment_id: str | None
    service_id: str | None
    outcome: Outcome
    remaining: int

    def matches(self, environment_id: str, service_id: str) -> bool:
        return self.environment_id in (None, environment_id) and self.service_id in (None, service_id)


class DeploymentLedger:
    """Every deployment of one sandbox, in creation order, brought up to the clock on each read."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.timing = DeployTiming()
        # Wall time is derived from the sandbox clock, so a fake clock moves timestamps too.
        self._anchor_at = clock()
        self._anchor_wall = datetime.now(UTC)
        self._deployments: dict[str, Deployment] = {}
        self._plans: list[_OutcomePlan] = []
        self._heads: dict[tuple[str, str], int] = {}

    # ------------------------------------------------------------ time

    def wall(self, at: float) -> datetime:
        return self._anchor_wall + timedelta(seconds=at - self._anchor_at)

    def settle(self) -> float:
        """Apply every scheduled transition due by now, earliest first (a SUCCESS retires the
        deployments running before it at its own instant); returns now."""
        now = self.clock()
        while True:
            due = [d for d in self._deployments.values() if d.schedule and d.schedule[0][1] <= now]
            if not due:
                return now
            deployment = min(due, key=lambda d: d.schedule[0][1])
            status, at = deployment.schedule.pop(0)
            self._enter(deployment, status, at)

    def _enter(self, deployment: Deployment, status: DeploymentStatus, at: float) -> None:
        deployment.history.append(Transition(status, at, self.wall(at)))
        if status in FINAL_STATUSES or status in ACTIVE_STATUSES:
            deployment.schedule.clear()
        if status == S.SUCCESS:
            for older in self._of_instance(deployment.instance):
                if older is not deployment and older.status in ACTIVE_STATUSES:
                    self._enter(older, S.REMOVED, at)

    # ------------------------------------------------------------ branches

    def head(self, repo: str, branch: str) -> int:
        """The branch's commit counter; a branch starts with one commit."""
        return self._heads.setdefault((repo, branch), 1)

    def advance_head(self, repo: str, branch: str) -> int:
        self._heads[(repo, branch)] = self.head(repo, branch) + 1
        return self._heads[(repo, branch)]

    # ------------------------------------------------------------ deployments

    def start(
        self,
        *,
        project_id: str,
        environment_id: str,
        service_id: str,
        trigger: DeploymentCause,
        source: DeploymentSource,
    ) -> Deployment:
        now = self.settle()
        for older in self._of_instance((environment_id, service_id)):
            if older.status in IN_PROGRESS_STATUSES:
                self._enter(older, S.REMOVED, now)
        deployment = Deployment(
            id=str(uuid.uuid4()),
            project_id=project_id,
            environment_id=environment_id,
            service_id=service_id,
            trigger=trigger,
            source=source,
            history=[Transition(S.QUEUED, now, self.wall(now))],
            schedule=self._schedule(now, self._take_outcome(environment_id, service_id)),
        )
        self._deployments[deployment.id] = deployment
        self.settle()  # zero-length phases take effect at once
        return deployment

    def _schedule(self, start: float, outcome: Outcome | None) -> list[tuple[DeploymentStatus, float]]:
        building = start + self.timing.queued
        deploying = building + self.timing.building
        done = deploying + self.timing.deploying
        if outcome == "FAILED":  # the build failed: it never deploys
            return [(S.BUILDING, building), (S.FAILED, deploying)]
        # CRASHED: the build worked but the service never became healthy.
        final = S.CRASHED if outcome == "CRASHED" else S.SUCCESS
        return [(S.BUILDING, building), (S.DEPLOYING, deploying), (final, done)]

    def _take_outcome(self, environment_id: str, service_id: str) -> Outcome | None:
        for plan in self._plans:
            if plan.matches(environment_id, service_id):
                plan.remaining -= 1
                if plan.remaining == 0:
                    self._plans.remove(plan)
                return plan.outcome
        return None

    def plan_outcome(self, environment_id: str | None, service_id: str | None, outcome: Outcome, times: int) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {sorted(OUTCOMES)}, got {outcome!r}")
        if times < 1:
            raise ValueError("times must be >= 1")
        self._plans.append(_OutcomePlan(environment_id, service_id, outcome, times))

    def crash(self, deployment_id: str) -> None:
        deployment = self.get(deployment_id)
        if deployment is None:
            raise KeyError(f"deployment {deployment_id} not found")
        if deployment.status not in ACTIVE_STATUSES:
            raise ValueError(f"deployment {deployment_id} is {deployment.status}, not running")
        self._enter(deployment, S.CRASHED, self.clock())

    def sleep(self, environment_id: str, service_id: str) -> Deployment:
        running = self.serving(environment_id, service_id)
        if running is None or running.status != S.SUCCESS:
            raise ValueError(f"service {service_id} in environment {environment_id} has no SUCCESS deployment")
        self._enter(running, S.SLEEPING, self.clock())
        return running

    def wake(self, deployment: Deployment) -> None:
        if deployment.status == S.SLEEPING:
            self._enter(deployment, S.SUCCESS, self.clock())

    def forget_environment(self, environment_id: str) -> None:
        for deployment_id in [d.id for d in self._deployments.values() if d.environment_id == environment_id]:
            del self._deployments[deployment_id]

    # ------------------------------------------------------------ reads (settled)

    def get(self, deployment_id: str) -> Deployment | None:
        self.settle()
        return self._deployments.get(deployment_id)

    def select(
        self,
        *,
        project_id: str | None = None,
        environment_id: str | None = None,
        service_id: str | None = None,
        status_in: Collection[str] | None = None,
        status_not_in: Collection[str] | None = None,
    ) -> list[Deployment]:
        """Matching deployments in creation order (None filters match everything)."""
        self.settle()
        return [
            d
            for d in self._deployments.values()
            if project_id in (None, d.project_id)
            and environment_id in (None, d.environment_id)
            and service_id in (None, d.service_id)
            and (status_in is None or d.status in status_in)
            and (status_not_in is None or d.status not in status_not_in)
        ]

    def latest(self, environment_id: str, service_id: str) -> Deployment | None:
        """The instance's newest deployment, whatever its status."""
        self.settle()
        return next(reversed(self._of_instance((environment_id, service_id))), None)

    def active(self, environment_id: str, service_id: str) -> list[Deployment]:
        self.settle()
        return [d for d in self._of_instance((environment_id, service_id)) if d.status in ACTIVE_STATUSES]

    def serving(self, environment_id: str, service_id: str) -> Deployment | None:
        """What the instance's domain reaches: the newest running deployment; else the newest
        CRASHED one (its container is what is there, failing); else None (nothing is up yet)."""
        running = self.active(environment_id, service_id)
        if running:
            return running[-1]
        crashed = [d for d in self._of_instance((environment_id, service_id)) if d.status == S.CRASHED]
        return crashed[-1] if crashed else None

    def _of_instance(self, instance: tuple[str, str]) -> list[Deployment]:
        return [d for d in self._deployments.values() if d.instance == instance]
