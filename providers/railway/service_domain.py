"""A generated `*.up.railway.app` domain for a service in an environment (forks do not copy
domains, so every environment gets its own)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult

from providers.api import NotFound
from providers.railway.client import RailwayClient, ServiceDomainInfo
from providers.resource import DeclarativeProvider, Port, Schema, Text, args_to_props

__all__ = ["ServiceDomain", "ServiceDomainArgs", "ServiceDomainProvider"]

_log = logging.getLogger(__name__)


@dataclass
class ServiceDomainArgs:
    project_id: pulumi.Input[str]
    environment_id: pulumi.Input[str]
    service_id: pulumi.Input[str]
    target_port: pulumi.Input[int] | None = None


class ServiceDomainProvider(DeclarativeProvider):
    schema = Schema(
        Text("project_id"),
        Text("environment_id", replaces=True),
        Text("service_id", replaces=True),
        Port("target_port", required=False),
    )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.schema.inputs(props)
        with RailwayClient.from_settings() as railway:
            domain = railway.create_service_domain(**_scope(inputs), target_port=inputs["target_port"])
        return CreateResult(domain.id, {**inputs, **_outputs(domain.domain)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.schema.inputs(props)
        with RailwayClient.from_settings() as railway:
            try:
                domains = railway.list_service_domains(**_scope(inputs))
            except NotFound:
                return ReadResult(None, {})
        live = next((domain for domain in domains if domain.id == id_), None)
        if live is None:
            return ReadResult(None, {})
        _warn_of_twins(live, [domain for domain in domains if domain.id != id_])
        return ReadResult(id_, {**inputs, **_outputs(live.domain)})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.schema.inputs(news)
        current = ServiceDomainInfo(
            id=id_,
            domain=olds["domain"],
            environment_id=inputs["environment_id"],
            service_id=inputs["service_id"],
            target_port=olds.get("target_port"),
        )
        if current.target_port != inputs["target_port"]:
            with RailwayClient.from_settings() as railway:
                railway.update_service_domain(current, target_port=inputs["target_port"])
        return UpdateResult({**inputs, **_outputs(current.domain)})

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        with RailwayClient.from_settings() as railway:
            railway.delete_service_domain(id_)


def _warn_of_twins(ours: ServiceDomainInfo, others: list[ServiceDomainInfo]) -> None:
    """Say so when the service has generated domains besides ours: domains have no natural key,
    so a create Railway applied after its answer was lost and the late-answer window had passed
    leaves a second one, which nothing else reports. The listing is the one read already made;
    the others are only named, never touched (they may be someone's)."""
    if not others:
        return
    _log.warning(
        "Railway service %s in environment %s has %d generated domain(s) besides %s, which this stack "
        "manages: %s. A domain create applied after its answer was lost leaves such a twin; delete it in "
        "the Railway dashboard unless someone made it on purpose.",
        ours.service_id,
        ours.environment_id,
        len(others),
        ours.domain,
        ", ".join(f"{other.domain} ({other.id})" for other in others),
    )


def _scope(inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "project_id": inputs["project_id"],
        "environment_id": inputs["environment_id"],
        "service_id": inputs["service_id"],
    }


def _outputs(domain: str) -> dict[str, str]:
    return {"domain": domain, "url": f"https://{domain}"}


class ServiceDomain(Resource, module="railway", name="ServiceDomain"):
    """pulumi-python:dynamic/railway:ServiceDomain, id = Railway domain id. Outputs `domain` and
    `url`. A new target port is an update; a new environment or service replaces it."""

    project_id: pulumi.Output[str]
    environment_id: pulumi.Output[str]
    service_id: pulumi.Output[str]
    target_port: pulumi.Output[int | None]
    domain: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(self, resource_name: str, args: ServiceDomainArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(ServiceDomainProvider(), resource_name, args_to_props(args, domain=None, url=None), opts)
