"""When a service is healthy, failed for good, or still to wait for."""

from __future__ import annotations

import pytest

from fleet.watch import judge


@pytest.mark.parametrize("status", ["SUCCESS", "SLEEPING"])
def test_a_running_deployment_whose_url_answers_is_healthy(status):
    assert judge(status=status, gone=False, has_url=True, answered=True) == "healthy"


@pytest.mark.parametrize("status", ["SUCCESS", "SLEEPING"])
def test_a_running_deployment_without_a_url_is_healthy_without_a_probe(status):
    assert judge(status=status, gone=False, has_url=False, answered=False) == "healthy"


def test_a_running_deployment_whose_url_does_not_answer_2xx_is_waited_for():
    assert judge(status="SUCCESS", gone=False, has_url=True, answered=False) == "waiting"


@pytest.mark.parametrize("status", ["FAILED", "CRASHED", "REMOVED", "SKIPPED"])
def test_a_deployment_that_ended_is_failed_for_good_even_if_something_answers(status):
    assert judge(status=status, gone=False, has_url=True, answered=True) == "failed"


@pytest.mark.parametrize(
    "status", ["QUEUED", "WAITING", "INITIALIZING", "NEEDS_APPROVAL", "BUILDING", "DEPLOYING", "REMOVING"]
)
def test_a_deployment_on_its_way_is_waited_for_even_if_the_old_one_answers(status):
    assert judge(status=status, gone=False, has_url=True, answered=True) == "waiting"


def test_a_service_never_deployed_is_waited_for():
    assert judge(status=None, gone=False, has_url=False, answered=False) == "waiting"


def test_a_service_whose_environment_is_gone_has_failed():
    assert judge(status=None, gone=True, has_url=True, answered=False) == "failed"
