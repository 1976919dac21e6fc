"""The deploy trigger that makes a service in an environment deploy a git branch: the branch a
push to which deploys the service, and the branch `serviceInstanceDeployV2` deploys the head of.
The directory the service builds from is a setting of the service instance (ServiceInstance).

Forking an environment copies the source's triggers, so a new environment usually already has one
for the service, pointing at the source's branch. Creating this resource adopts that trigger and
points it at the wanted branch; a second trigger would deploy the service from two branches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult

from providers.api import NotFound
from providers.railway import forks
from providers.railway.client import DeploymentTriggerInfo, RailwayClient
from providers.resource import DeclarativeProvider, Schema, Text, args_to_props

__all__ = ["DeploymentTrigger", "DeploymentTriggerArgs", "DeploymentTriggerProvider"]


@dataclass
class DeploymentTriggerArgs:
    project_id: pulumi.Input[str]
    environment_id: pulumi.Input[str]
    service_id: pulumi.Input[str]
    repository: pulumi.Input[str]
    branch: pulumi.Input[str]
    provider: pulumi.Input[str] = "github"


class DeploymentTriggerProvider(DeclarativeProvider):
    schema = Schema(
        Text("project_id"),
        Text("environment_id", replaces=True),
        Text("service_id", replaces=True),
        Text("repository"),
        Text("branch"),
        # deploymentTriggerUpdate cannot change the provider.
        Text("provider", required=False, default="github", replaces=True),
    )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.schema.inputs(props)
        with RailwayClient.from_settings() as railway:
            trigger = _adopt_recorded_copy(railway, inputs) or _adopt_or_create(railway, inputs)
        return CreateResult(trigger.id, inputs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.schema.inputs(props)
        with RailwayClient.from_settings() as railway:
            try:
                triggers = railway.list_triggers(**_scope(inputs))
            except NotFound:
                return ReadResult(None, {})
        live = next((trigger for trigger in triggers if trigger.id == id_), None)
        if live is None:
            return ReadResult(None, {})
        return ReadResult(id_, {**inputs, "repository": live.repository, "branch": live.branch})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.schema.inputs(news)
        with RailwayClient.from_settings() as railway:
            railway.update_trigger(id_, repository=inputs["repository"], branch=inputs["branch"])
        return UpdateResult(inputs)

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        with RailwayClient.from_settings() as railway:
            railway.delete_trigger(id_)


def _scope(inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "project_id": inputs["project_id"],
        "environment_id": inputs["environment_id"],
        "service_id": inputs["service_id"],
    }


def _adopt_or_create(railway: RailwayClient, inputs: dict[str, Any]) -> DeploymentTriggerInfo:
    """Look the service's triggers up: point the one the fork copied at the wanted branch, or
    make one when there is none."""
    forked = _pick(railway.list_triggers(**_scope(inputs)), inputs)
    if forked is not None:
        return railway.update_trigger(forked.id, repository=inputs["repository"], branch=inputs["branch"])
    return railway.create_trigger(
        **_scope(inputs),
        provider=inputs["provider"],
        repository=inputs["repository"],
        branch=inputs["branch"],
    )


def _adopt_recorded_copy(railway: RailwayClient, inputs: dict[str, Any]) -> DeploymentTriggerInfo | None:
    """Point the trigger the fork copied for this service (as the environment's create reported
    it, see providers.railway.forks) at the wanted branch, without listing first. None when this
    process did not see the fork, the fork copied none, or the copy is gone since: then look."""
    recorded = forks.take(inputs["environment_id"], inputs["service_id"])
    copied = _pick(recorded, inputs) if recorded else None
    if copied is None:
        return None
    try:
        return railway.update_trigger(copied.id, repository=inputs["repository"], branch=inputs["branch"])
    except NotFound:
        return None


def _pick(triggers: list[DeploymentTriggerInfo], inputs: dict[str, Any]) -> DeploymentTriggerInfo | None:
    """The existing trigger to adopt: the same repository if there is one, else any of the
    same provider."""
    same_provider = [trigger for trigger in triggers if trigger.provider == inputs["provider"]]
    for trigger in same_provider:
        if trigger.repository == inputs["repository"]:
            return trigger
    return same_provider[0] if same_provider else None


class DeploymentTrigger(Resource, module="railway", name="DeploymentTrigger"):
    """pulumi-python:dynamic/railway:DeploymentTrigger, id = Railway trigger id. A branch or
    repository change is an update; a new environment, service or provider
    replaces it."""

    project_id: pulumi.Output[str]
    environment_id: pulumi.Output[str]
    service_id: pulumi.Output[str]
    repository: pulumi.Output[str]
    branch: pulumi.Output[str]
    provider: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: DeploymentTriggerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(DeploymentTriggerProvider(), resource_name, args_to_props(args), opts)
