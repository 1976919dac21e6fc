"""A service's settings in one Railway environment: its healthcheck, whether it sleeps when idle,
and the directory of the repository it builds from.

A fork starts with the base environment's settings. The resource manages only the settings it is
given (None: not managed, the fork's value stands); a setting it stops managing is cleared. They
take effect at the service's next deployment, which the Deployment resource starts once these
are written. Railway itself marks a deployment SUCCESS only when the healthcheck path answers
within the healthcheck timeout, so `fleet status` and Railway agree on what healthy means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult

from providers.railway.client import RailwayClient, ServiceInstanceInfo
from providers.resource import DeclarativeProvider, Flag, Schema, Text, WholeNumber, args_to_props

__all__ = ["ServiceInstance", "ServiceInstanceArgs", "ServiceInstanceProvider", "service_instance_id"]

# Railway allows a healthcheck to take up to an hour before it fails the deployment.
MAX_HEALTHCHECK_TIMEOUT_SECONDS = 3600

# Property -> Railway's name for it (ServiceInstanceUpdateInput).
SETTINGS = {
    "healthcheck_path": "healthcheckPath",
    "healthcheck_timeout": "healthcheckTimeout",
    "sleep_application": "sleepApplication",
    "root_directory": "rootDirectory",
}


@dataclass
class ServiceInstanceArgs:
    environment_id: pulumi.Input[str]
    service_id: pulumi.Input[str]
    healthcheck_path: pulumi.Input[str] | None = None
    healthcheck_timeout: pulumi.Input[int] | None = None
    sleep_application: pulumi.Input[bool] = False
    root_directory: pulumi.Input[str] | None = None


def service_instance_id(environment_id: str, service_id: str) -> str:
    return f"{environment_id}:{service_id}"


class ServiceInstanceProvider(DeclarativeProvider):
    schema = Schema(
        Text("environment_id", replaces=True),
        Text("service_id", replaces=True),
        Text("healthcheck_path", required=False),
        WholeNumber("healthcheck_timeout", required=False, minimum=1, maximum=MAX_HEALTHCHECK_TIMEOUT_SECONDS),
        Flag("sleep_application", required=False, default=False),
        Text("root_directory", required=False),
    )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.schema.inputs(props)
        with RailwayClient.from_settings() as railway:
            railway.update_service_instance(**_scope(inputs), settings=_managed(inputs))
        return CreateResult(service_instance_id(inputs["environment_id"], inputs["service_id"]), inputs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.schema.inputs(props)
        with RailwayClient.from_settings() as railway:
            live = railway.get_service_instance(**_scope(inputs))
        if live is None:
            return ReadResult(None, {})
        # Only managed settings are refreshed: the fork's own values of the others are not ours.
        return ReadResult(id_, {**inputs, **_live_values(live, managed=_managed(inputs))})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.schema.inputs(news)
        wanted = _managed(inputs)
        # A setting no longer managed is cleared rather than left at a value nobody declares.
        released = {SETTINGS[name]: None for name in SETTINGS if olds.get(name) is not None and inputs[name] is None}
        changed = {
            railway_name: value
            for name, railway_name in SETTINGS.items()
            if railway_name in wanted and olds.get(name) != (value := wanted[railway_name])
        }
        if changed or released:
            with RailwayClient.from_settings() as railway:
                railway.update_service_instance(**_scope(inputs), settings={**released, **changed})
        return UpdateResult(inputs)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to undo: the settings belong to the service in that environment, which goes
        with its environment; a service dropped from the config keeps the settings it had."""


def _scope(inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {"environment_id": inputs["environment_id"], "service_id": inputs["service_id"]}


def _managed(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The managed settings under Railway's names."""
    return {railway_name: inputs[name] for name, railway_name in SETTINGS.items() if inputs.get(name) is not None}


def _live_values(live: ServiceInstanceInfo, *, managed: Mapping[str, Any]) -> dict[str, Any]:
    values = {
        "healthcheck_path": live.healthcheck_path,
        "healthcheck_timeout": live.healthcheck_timeout,
        "sleep_application": bool(live.sleep_application),
        "root_directory": live.root_directory,
    }
    return {name: values[name] for name, railway_name in SETTINGS.items() if railway_name in managed}


class ServiceInstance(Resource, module="railway", name="ServiceInstance"):
    """pulumi-python:dynamic/railway:ServiceInstance, id "<environment_id>:<service_id>". Every
    setting is an update; a new environment or service replaces it."""

    environment_id: pulumi.Output[str]
    service_id: pulumi.Output[str]
    healthcheck_path: pulumi.Output[str | None]
    healthcheck_timeout: pulumi.Output[int | None]
    sleep_application: pulumi.Output[bool]
    root_directory: pulumi.Output[str | None]

    def __init__(
        self, resource_name: str, args: ServiceInstanceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(ServiceInstanceProvider(), resource_name, args_to_props(args), opts)
