"""Watch: polling Railway per environment and probing each URL until every service settles,
against fakes that move on counts (n-th API call, n-th probe), never on time."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence

import pytest

from fleet.probe import probe_client
from fleet.watch import RailwayRejected, Schedule, ServiceReport, StackTargets, Watch
from providers.api import ApiFailure, AuthError
from tests.status.support import CREATED, FakeEdge, FakeRailway, deployment, stack, target

API = "main-api.up.railway.app"
# Railway polled only when a probe says something new answers: every other call is the test's.
NO_REGULAR_POLLS = Schedule(api_first=60.0, api_cap=60.0)
# Railway polled as fast as the test wants: the script, not the clock, decides what happens.
QUICK = Schedule(
    api_first=0.01,
    api_growth=1.0,
    api_cap=0.01,
    api_per_second=1000.0,
    api_burst=10,
    probe_quick=0.01,
    probe_growth=1.0,
    probe_cap=0.01,
)


def watch(
    targets: StackTargets,
    railway: FakeRailway,
    edge: FakeEdge | None = None,
    *,
    schedule: Schedule = QUICK,
    deadline: float = 10.0,
    wait: bool = True,
    progress: list[ServiceReport] | None = None,
    wall_clock: Callable[[], dt.datetime] | None = None,
) -> list[ServiceReport]:
    edge = edge or FakeEdge({})

    def record(_all: Sequence[ServiceReport], changed: Sequence[ServiceReport]) -> None:
        if progress is not None:
            progress.extend(changed)

    async def run() -> list[ServiceReport]:
        async with probe_client(transport=edge.transport()) as http:
            watcher = Watch(
                targets,
                railway=railway,
                http=http,
                deadline=deadline,
                schedule=schedule,
                progress=record,
                wall_clock=wall_clock,
            )
            return await (watcher.wait() if wait else watcher.look())

    return asyncio.run(run())


def shared_journal(railway_script: dict, edge_answers: dict) -> tuple[FakeRailway, FakeEdge]:
    journal: list[str] = []
    return FakeRailway(railway_script, journal=journal), FakeEdge(edge_answers, journal=journal)


def test_a_first_deployment_is_confirmed_with_railway_as_soon_as_its_url_starts_answering():
    railway, edge = shared_journal(
        {"env-main": [{"svc-api": deployment("d1", "BUILDING")}, {"svc-api": deployment("d1", "SUCCESS")}]},
        {API: [404, 404, 404, 200]},
    )

    [report] = watch(stack(target()), railway, edge, schedule=NO_REGULAR_POLLS)

    assert report.verdict == "healthy"
    assert railway.calls == {"env-main": 2}
    # The second request to Railway came right after the first 2xx, not on the 60 s schedule.
    assert railway.journal[-2:] == [f"probe {API}: 200", "api env-main: SUCCESS"]


def test_a_redeploy_is_healthy_only_once_railway_says_the_new_deployment_is_up():
    # The old deployment answers 2xx throughout: only Railway knows when the new one is up.
    railway, edge = shared_journal(
        {
            "env-main": [
                {"svc-api": deployment("d2", "BUILDING")},
                {"svc-api": deployment("d2", "DEPLOYING")},
                {"svc-api": deployment("d2", "SUCCESS")},
            ]
        },
        {API: [200]},
    )
    progress: list[ServiceReport] = []

    [report] = watch(stack(target()), railway, edge, progress=progress)

    assert report.verdict == "healthy"
    # The 2xx seen before Railway said SUCCESS came from the old deployment: it does not count.
    assert [(r.status, r.verdict) for r in progress if r.status] == [
        ("BUILDING", "waiting"),
        ("DEPLOYING", "waiting"),
        ("SUCCESS", "waiting"),
        ("SUCCESS", "healthy"),
    ]
    # Healthy on a probe sent after Railway said SUCCESS.
    success = railway.journal.index("api env-main: SUCCESS")
    assert railway.journal[success + 1] == f"probe {API}: 200"
    assert railway.calls == {"env-main": 3}


def test_a_failed_build_ends_the_wait_as_failed_with_its_logs():
    railway = FakeRailway(
        {"env-main": [{"svc-api": deployment("d1", "BUILDING")}, {"svc-api": deployment("d1", "FAILED")}]}
    )

    [report] = watch(stack(target()), railway, FakeEdge({API: [404]}))

    assert (report.verdict, report.status) == ("failed", "FAILED")
    assert report.logs_url == "https://railway.com/project/project-1/service/svc-api?environmentId=env-main&id=d1"


def test_a_crashed_deployment_has_failed_even_while_its_url_answers():
    railway = FakeRailway({"env-main": [{"svc-api": deployment("d1", "CRASHED")}]})

    [report] = watch(stack(target()), railway, FakeEdge({API: [200]}))

    assert (report.verdict, report.status) == ("failed", "CRASHED")


def test_a_5xx_until_the_deadline_leaves_the_service_waiting_with_the_last_answer():
    railway = FakeRailway({"env-main": [{"svc-api": deployment("d1", "SUCCESS")}]})

    [report] = watch(stack(target()), railway, FakeEdge({API: [503]}), deadline=0.3)

    assert (report.verdict, report.status, report.probe and report.probe.status) == ("waiting", "SUCCESS", 503)


def test_nothing_answering_before_the_deadline_leaves_the_service_waiting():
    railway = FakeRailway({"env-main": [{"svc-api": deployment("d1", "BUILDING")}]})

    [report] = watch(stack(target()), railway, FakeEdge({API: [404]}), deadline=0.3)

    assert (report.verdict, report.status) == ("waiting", "BUILDING")


def test_a_sleeping_deployment_whose_url_answers_is_healthy():
    railway = FakeRailway({"env-main": [{"svc-api": deployment("d1", "SLEEPING")}]})

    [report] = watch(stack(target()), railway, FakeEdge({API: [200]}))

    assert (report.verdict, report.status) == ("healthy", "SLEEPING")


def test_a_service_without_a_url_is_healthy_once_deployed_and_never_probed():
    railway = FakeRailway(
        {
            "env-main": [
                {"svc-worker": deployment("d1", "BUILDING", service_id="svc-worker")},
                {"svc-worker": deployment("d1", "SUCCESS", service_id="svc-worker")},
            ]
        }
    )
    edge = FakeEdge({})

    [report] = watch(stack(target("worker", url=None)), railway, edge)

    assert report.verdict == "healthy"
    assert edge.probes == {}


def test_one_request_per_environment_answers_for_all_its_services():
    both = lambda status: {  # noqa: E731
        "svc-api": deployment("d1", status),
        "svc-web": deployment("d2", status, service_id="svc-web"),
    }
    railway = FakeRailway({"env-main": [both("BUILDING"), both("SUCCESS")]})
    edge = FakeEdge({API: [200], "main-web.up.railway.app": [200]})
    targets = stack(target(), target("web", url="https://main-web.up.railway.app"))

    reports = watch(targets, railway, edge)

    assert [r.verdict for r in reports] == ["healthy", "healthy"]
    assert railway.calls == {"env-main": 2}


def test_each_environment_is_polled_on_its_own():
    railway = FakeRailway(
        {
            "env-main": [{"svc-api": deployment("d1", "SUCCESS")}],
            "env-dev": [
                {"svc-api": deployment("d2", "BUILDING", environment_id="env-dev")},
                {"svc-api": deployment("d2", "FAILED", environment_id="env-dev")},
            ],
        }
    )
    edge = FakeEdge({API: [200], "dev-api.up.railway.app": [404]})
    targets = stack(target(), target(environment="dev", url="https://dev-api.up.railway.app"))

    reports = watch(targets, railway, edge)

    assert [(r.name, r.verdict) for r in reports] == [("main/api", "healthy"), ("dev/api", "failed")]
    assert railway.calls == {"env-main": 1, "env-dev": 2}


def test_an_environment_that_is_gone_fails_its_services():
    [report] = watch(stack(target()), FakeRailway({"env-main": [None]}), FakeEdge({API: [404]}))

    assert (report.verdict, report.note) == ("failed", "environment not found on Railway")


def test_a_service_missing_from_its_environment_has_failed():
    [report] = watch(stack(target()), FakeRailway({"env-main": [{}]}), FakeEdge({API: [404]}))

    assert (report.verdict, report.note) == ("failed", "service not in the environment")


def test_a_railway_error_is_shown_and_the_next_poll_carries_on():
    error = ApiFailure(
        "Railway deployments of environment env-main could not be read: HTTP 503", api="Railway", operation="x"
    )
    railway = FakeRailway({"env-main": [error, {"svc-api": deployment("d1", "SUCCESS")}]})
    progress: list[ServiceReport] = []

    [report] = watch(stack(target()), railway, FakeEdge({API: [200]}), progress=progress)

    assert report.verdict == "healthy"
    assert progress[0].note == f"Railway API: {error}"


def test_a_rejected_token_stops_everything():
    railway = FakeRailway({"env-main": [AuthError("Railway rejected the API token", api="Railway", operation="x")]})

    with pytest.raises(RailwayRejected) as raised:
        watch(stack(target()), railway, FakeEdge({API: [404]}))

    assert str(raised.value) == "Railway rejected the API token"


def test_answers_that_flap_cannot_push_railway_requests_past_the_environments_budget():
    # Every other probe turns from 404 to 200, each time asking for an early confirmation.
    railway = FakeRailway({"env-main": [{"svc-api": deployment("d1", "BUILDING")}]})
    edge = FakeEdge({API: [404, 200] * 1000})
    deadline = 1.5
    fast_probes = Schedule(api_first=60.0, api_cap=60.0, probe_quick=0.01, probe_growth=1.0, probe_cap=0.01)

    watch(stack(target()), railway, edge, schedule=fast_probes, deadline=deadline)

    assert edge.probes[API] > 10
    # The burst of 2, and one more per 2 s of the deadline.
    assert railway.calls["env-main"] <= 2 + int(deadline * fast_probes.api_per_second)


def test_one_look_asks_railway_once_then_probes_each_url_once():
    railway = FakeRailway({"env-main": [{"svc-api": deployment("d1", "SUCCESS")}]})
    edge = FakeEdge({API: [200]})

    [report] = watch(stack(target()), railway, edge, wait=False)

    assert report.verdict == "healthy"
    assert (railway.calls, edge.probes) == ({"env-main": 1}, {API: 1})
    assert railway.closed == 1


def test_one_look_at_a_deployment_on_its_way_is_waiting():
    railway = FakeRailway({"env-main": [{"svc-api": deployment("d1", "DEPLOYING")}]})

    [report] = watch(stack(target()), railway, FakeEdge({API: [404]}), wait=False)

    assert (report.verdict, report.probe and report.probe.status) == ("waiting", 404)


def test_progress_reports_each_state_change_once():
    railway = FakeRailway(
        {"env-main": [{"svc-api": deployment("d1", "BUILDING")}] * 3 + [{"svc-api": deployment("d1", "SUCCESS")}]}
    )
    progress: list[ServiceReport] = []

    watch(stack(target()), railway, FakeEdge({API: [404] * 3 + [200]}), progress=progress)

    keys = [r.progress_key() for r in progress]
    assert len(keys) == len(set(keys))
    assert progress[-1].verdict == "healthy"


class WallClock:
    """A wall clock that notes what had happened (the shared journal) each time it is read, and
    answers CREATED + as many seconds as it has been read."""

    def __init__(self, journal: list[str]) -> None:
        self.journal, self.reads = journal, []  # type: list[str], list[list[str]]

    def __call__(self) -> dt.datetime:
        self.reads.append(list(self.journal))
        return CREATED + dt.timedelta(seconds=len(self.reads))


def test_healthy_at_is_when_railway_confirmed_what_the_first_2xx_announced():
    railway, edge = shared_journal(
        {"env-main": [{"svc-api": deployment("d1", "BUILDING")}, {"svc-api": deployment("d1", "SUCCESS")}]},
        {API: [404, 404, 200]},
    )
    clock = WallClock(railway.journal)
    progress: list[ServiceReport] = []

    [report] = watch(stack(target()), railway, edge, schedule=NO_REGULAR_POLLS, progress=progress, wall_clock=clock)

    # Read once: at the answer that made the verdict healthy, not before and not again.
    assert [reads[-1] for reads in clock.reads] == ["api env-main: SUCCESS"]
    assert report.healthy_at == CREATED + dt.timedelta(seconds=1)
    assert [r.healthy_at for r in progress if r.verdict != "healthy"] == [None] * (len(progress) - 1)


def test_after_a_redeploy_healthy_at_is_the_first_2xx_sent_after_railway_said_success():
    railway, edge = shared_journal(
        {"env-main": [{"svc-api": deployment("d2", "DEPLOYING")}, {"svc-api": deployment("d2", "SUCCESS")}]},
        {API: [200]},
    )
    clock = WallClock(railway.journal)

    [report] = watch(stack(target()), railway, edge, wall_clock=clock)

    [reads] = clock.reads
    assert reads[-1] == f"probe {API}: 200" and "api env-main: SUCCESS" in reads
    assert report.healthy_at == CREATED + dt.timedelta(seconds=1)


def test_a_service_that_never_turns_healthy_has_no_healthy_at():
    railway = FakeRailway(
        {"env-main": [{"svc-api": deployment("d1", "BUILDING")}, {"svc-api": deployment("d1", "FAILED")}]}
    )
    clock = WallClock(railway.journal)

    [report] = watch(stack(target()), railway, FakeEdge({API: [404]}), wall_clock=clock)

    assert (report.verdict, report.healthy_at, clock.reads) == ("failed", None, [])


def test_one_look_dates_a_healthy_service_too():
    railway = FakeRailway({"env-main": [{"svc-api": deployment("d1", "SUCCESS")}]})
    clock = WallClock(railway.journal)

    [report] = watch(stack(target()), railway, FakeEdge({API: [200]}), wait=False, wall_clock=clock)

    assert (report.verdict, report.healthy_at) == ("healthy", CREATED + dt.timedelta(seconds=1))


def test_healthy_at_defaults_to_the_utc_time_now():
    railway = FakeRailway({"env-main": [{"svc-api": deployment("d1", "SUCCESS")}]})
    before = dt.datetime.now(dt.UTC)

    [report] = watch(stack(target()), railway, FakeEdge({API: [200]}), wait=False)

    assert report.healthy_at is not None and report.healthy_at.tzinfo is not None
    assert before <= report.healthy_at <= dt.datetime.now(dt.UTC)
