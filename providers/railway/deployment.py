"""One deployment of a service in a Railway environment: the head of the environment's branch,
started once everything the running code sees is in place.

A fork is created with `skipInitialDeploys` and variables are written with `skipDeploys`, so
nothing deploys until this resource does: after the service's variables, settings and deploy
trigger (the program makes it depend on them). Its inputs are what the running code sees — the
branch, a digest of the variables, the instance settings — so a change in any of them becomes a
new deployment (a replacement: the new one supersedes the old, which Railway retires itself) and
a change in several of them still one. Nothing else deploys: a no-op `pulumi up` sends nothing.

The create returns as soon as Railway has accepted the deployment: a build takes minutes, and a
provider call holds one of the host's 4 worker threads. `python -m fleet status --wait` is the
wait for the environment to answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource

from providers.railway.client import RailwayClient
from providers.resource import DeclarativeProvider, Schema, Text, TextMap, args_to_props

__all__ = ["Deployment", "DeploymentArgs", "DeploymentProvider", "variables_digest"]


@dataclass
class DeploymentArgs:
    environment_id: pulumi.Input[str]
    service_id: pulumi.Input[str]
    branch: pulumi.Input[str]
    # variables_digest() of the service's managed variables.
    variables_digest: pulumi.Input[str]
    # The service instance settings, as Railway names them, as text.
    settings: pulumi.Input[Mapping[str, pulumi.Input[str]]]


def variables_digest(variables: Mapping[str, str]) -> str:
    """A digest of the variables that tells a change and reveals no value: SHA-256 over the names
    and values. The variables always hold the environment's generated access token (256 random
    bits), so no value can be recovered by guessing the others and hashing."""
    canonical = json.dumps(sorted(variables.items()), separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


class DeploymentProvider(DeclarativeProvider):
    schema = Schema(
        Text("environment_id", replaces=True),
        Text("service_id", replaces=True),
        Text("branch", replaces=True),
        Text("variables_digest", replaces=True),
        TextMap("settings", required=False, default={}, replaces=True),
    )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.schema.inputs(props)
        with RailwayClient.from_settings() as railway:
            deployment_id = railway.deploy_service(
                environment_id=inputs["environment_id"], service_id=inputs["service_id"]
            )
        return CreateResult(deployment_id, {**inputs, "deployment_id": deployment_id})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.schema.inputs(props)
        with RailwayClient.from_settings() as railway:
            deployment = railway.get_deployment(id_)
        if deployment is None:
            return ReadResult(None, {})
        # A deployment keeps what it was started with; its progress (status) is `fleet status`'s
        # business, not drift: a refresh must not report every finished build as a change.
        return ReadResult(id_, {**inputs, "deployment_id": id_})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to undo: the deployment that replaces this one supersedes it on Railway, and a
        destroyed environment takes its deployments with it. Removing it here would stop the
        running service before its successor is healthy."""


class Deployment(Resource, module="railway", name="Deployment"):
    """pulumi-python:dynamic/railway:Deployment, id = Railway deployment id. Any change of what the
    code sees (branch, variables digest, settings) is a new deployment."""

    environment_id: pulumi.Output[str]
    service_id: pulumi.Output[str]
    branch: pulumi.Output[str]
    variables_digest: pulumi.Output[str]
    settings: pulumi.Output[dict[str, str]]
    deployment_id: pulumi.Output[str]

    def __init__(self, resource_name: str, args: DeploymentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(DeploymentProvider(), resource_name, args_to_props(args, deployment_id=None), opts)
