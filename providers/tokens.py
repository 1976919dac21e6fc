"""Generated access tokens (`staging_<name>_<random>`): no API, only state.

The value is made once, at create, and lives in the state as a secret. Rotation is a replacement:
change a keeper (e.g. the rotation period's start date) and Pulumi makes a new token.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult

from providers.resource import DeclarativeProvider, Schema, Text, TextMap, args_to_props

__all__ = ["AccessToken", "AccessTokenArgs", "AccessTokenProvider", "new_token"]

# 32 random bytes: 256 bits, as url-safe base64 (43 characters).
_TOKEN_BYTES = 32


@dataclass
class AccessTokenArgs:
    prefix: pulumi.Input[str]
    keepers: pulumi.Input[Mapping[str, pulumi.Input[str]]] = field(default_factory=dict)


def new_token(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(_TOKEN_BYTES)}"


class AccessTokenProvider(DeclarativeProvider):
    schema = Schema(
        Text("prefix", replaces=True),
        TextMap("keepers", required=False, default={}, replaces=True),
    )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.schema.inputs(props)
        return CreateResult(secrets.token_hex(16), {**inputs, "value": new_token(inputs["prefix"])})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        # Nothing lives outside the state: what was recorded is what exists.
        return ReadResult(id_, {**self.schema.inputs(props), "value": props.get("value")})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Every input replaces the token, so an update only ever restates it.
        return UpdateResult({**self.schema.inputs(news), "value": olds["value"]})


class AccessToken(Resource, name="AccessToken"):
    """pulumi-python:dynamic:AccessToken. `value` is a secret output; changing `prefix` or any
    keeper replaces the token with a new one."""

    prefix: pulumi.Output[str]
    keepers: pulumi.Output[dict[str, str]]
    value: pulumi.Output[str]

    def __init__(self, resource_name: str, args: AccessTokenArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["value"]))
        super().__init__(AccessTokenProvider(), resource_name, args_to_props(args, value=None), opts)
