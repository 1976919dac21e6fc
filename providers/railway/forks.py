"""What a fork copied, as Railway reported it in the environment create's answer.

Forking an environment copies the source's deploy triggers, and `DeploymentTrigger` adopts the
copy for its service instead of making a second trigger. `environmentCreate` already answers with
the new environment's triggers, so `Environment.create` records them here and the
`DeploymentTrigger` creates that follow in the same provider process (the one `pulumi up` runs
every dynamic resource in) update the recorded trigger straight away instead of listing the
triggers first: one request per trigger instead of two.

A record is a hint, never the truth: it holds ids and names only (nothing secret), is used at
most once per service, and a trigger that is gone by then (deleted by hand in between) makes the
caller fall back to listing. A new process starts empty, and then every trigger is looked up.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from providers.railway.client import DeploymentTriggerInfo

__all__ = ["forget", "record", "take"]

# A `pulumi up` of a large fleet forks a few hundred environments at most; the oldest go first.
_MAX_ENVIRONMENTS = 2000

_lock = threading.Lock()
_copied: OrderedDict[str, dict[str, list[DeploymentTriggerInfo]]] = OrderedDict()


def record(environment_id: str, triggers: Iterable[DeploymentTriggerInfo]) -> None:
    """Remember the triggers a fork made for `environment_id`, by service."""
    by_service: dict[str, list[DeploymentTriggerInfo]] = {}
    for trigger in triggers:
        if trigger.service_id:
            by_service.setdefault(trigger.service_id, []).append(trigger)
    with _lock:
        _copied[environment_id] = by_service
        _copied.move_to_end(environment_id)
        while len(_copied) > _MAX_ENVIRONMENTS:
            _copied.popitem(last=False)


def take(environment_id: str, service_id: str) -> list[DeploymentTriggerInfo] | None:
    """The triggers the fork copied for one service (once: a second call gets None), or None
    when this process did not see the fork."""
    with _lock:
        services = _copied.get(environment_id)
        if services is None:
            return None
        return services.pop(service_id, None)


def forget(environment_id: str) -> None:
    with _lock:
        _copied.pop(environment_id, None)
