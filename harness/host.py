"""Drive dynamic providers the way the Pulumi engine does: through `python -m pulumi.dynamic` over gRPC.

The provider host is started exactly as the engine starts it (cwd = the project directory), the
provider object is pickled by the SDK's own serializer into `__provider`, and every call crosses
the wire as protobuf Structs, so pickling, configure(), number and secret handling are all real.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from harness import REPO

Reply = TypeVar("Reply")
PROVIDER_KEY = "__provider"
STARTUP_DEADLINE_S = 30


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(dict(props), {}))
    finally:
        loop.close()


def from_struct(struct: struct_pb2.Struct, keep_unknowns: bool = False) -> dict[str, Any]:
    return rpc.deserialize_properties(struct, keep_unknowns)


class EngineError(Exception):
    """A provider call failed; carries what the engine would show the user."""

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self.details = details


class ProviderHost(Protocol):
    """What the engines need of a provider host: its stub, and a call through it that raises
    EngineError for a failed call. DynamicProviderHost, or a wrapper that records or times calls."""

    stub: provider_pb2_grpc.ResourceProviderStub

    def call(self, method: Callable[..., Reply], request: Any) -> Reply: ...


class DynamicProviderHost:
    """One `python -m pulumi.dynamic` process, as one `pulumi up` would start it."""

    def __init__(self, extra_env: Mapping[str, str] | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RAILWAY_", "SUPABASE_"))}
        env.update(extra_env or {})
        env.setdefault("PULUMI_PROJECT", "stagefleet")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "pulumi.dynamic"],
            cwd=REPO,  # as the engine starts it: the host imports the providers from there
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        port = self._read_port()
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(self._channel).result(timeout=STARTUP_DEADLINE_S)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        self.stderr_text = ""

    def _read_port(self) -> int:
        assert self._process.stdout is not None
        line = self._process.stdout.readline().decode().strip()
        if not line.isdigit():
            self._process.kill()
            _, err = self._process.communicate(timeout=10)
            raise RuntimeError(f"provider host did not start: {line!r} {err.decode()[-2000:]}")
        return int(line)

    def close(self) -> str:
        self._channel.close()
        self._process.terminate()
        try:
            _, err = self._process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            _, err = self._process.communicate(timeout=10)
        self.stderr_text = err.decode(errors="replace")
        return self.stderr_text

    def __enter__(self) -> DynamicProviderHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def configure(self, config: Mapping[str, str]) -> None:
        self.call(self.stub.Configure, provider_pb2.ConfigureRequest(args=to_struct(config), acceptSecrets=False))

    def call(self, method: Callable[..., Reply], request: Any) -> Reply:
        """One provider call as the engine makes it; a failure is an EngineError with its details."""
        try:
            return method(request, timeout=120)
        except grpc.RpcError as error:
            raise EngineError(error.details() or str(error)) from None


class DynamicResourceClient:
    """The engine's view of one dynamic resource type: urn, pickled provider, inputs and state."""

    def __init__(self, host: DynamicProviderHost, provider: Any, type_token: str, name: str) -> None:
        self.host = host
        self.pickled_provider = serialize_provider(provider)
        self.urn = f"urn:pulumi:staging::stagefleet::{type_token}::{name}"

    def _with_provider(self, props: Mapping[str, Any]) -> dict[str, Any]:
        return {**props, PROVIDER_KEY: self.pickled_provider}

    def check(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        response = self.host.call(
            self.host.stub.Check,
            provider_pb2.CheckRequest(
                urn=self.urn,
                olds=to_struct(self._with_provider(olds) if olds else {}),
                news=to_struct(self._with_provider(news)),
            ),
        )
        return from_struct(response.inputs, keep_unknowns=True), [(f.property, f.reason) for f in response.failures]

    def diff(self, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> provider_pb2.DiffResponse:
        return self.host.call(
            self.host.stub.Diff,
            provider_pb2.DiffRequest(
                id=resource_id,
                urn=self.urn,
                olds=to_struct(self._with_provider(olds)),
                news=to_struct(self._with_provider(news)),
            ),
        )

    def create(self, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        response = self.host.call(
            self.host.stub.Create,
            provider_pb2.CreateRequest(urn=self.urn, properties=to_struct(self._with_provider(inputs))),
        )
        return response.id, from_struct(response.properties)

    def read(self, resource_id: str, state: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        response = self.host.call(
            self.host.stub.Read,
            provider_pb2.ReadRequest(id=resource_id, urn=self.urn, properties=to_struct(self._with_provider(state))),
        )
        return response.id, from_struct(response.properties)

    def update(self, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        response = self.host.call(
            self.host.stub.Update,
            provider_pb2.UpdateRequest(
                id=resource_id,
                urn=self.urn,
                olds=to_struct(self._with_provider(olds)),
                news=to_struct(self._with_provider(news)),
            ),
        )
        return from_struct(response.properties)

    def delete(self, resource_id: str, state: Mapping[str, Any]) -> None:
        self.host.call(
            self.host.stub.Delete,
            provider_pb2.DeleteRequest(id=resource_id, urn=self.urn, properties=to_struct(self._with_provider(state))),
        )
