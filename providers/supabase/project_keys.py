"""The keys and connection string of a Supabase project or branch, once it is healthy.

Creating this resource is the wait for readiness that `Project` and `Branch` leave out: it polls
with backoff until the project (GET /v1/projects/{ref} status) or branch (GET
/v1/projects/{ref}/health) is ACTIVE_HEALTHY, bounded by `deadline_seconds` (the provider host
ignores customTimeouts). A project or branch that fails to start, or is not up in time, is
deleted so nothing half-made is left, and the error says to run `pulumi up --refresh`, which
then sees it gone and creates it again. Each wait holds one of the host's 4 worker threads, but
the creates it waits for have all returned, so the projects come up side by side.

The keys exist from the moment the project or branch is made, so they are read beside the wait
(on a thread of the call's own, not one of the host's workers): once the project is seen healthy
nothing is left to ask, and a project that is already healthy costs one round trip, not two.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, ReadResult, Resource, UpdateResult

from providers.api import ApiError, ApiFailure, NotFound
from providers.resource import Choice, DeclarativeProvider, Schema, Seconds, Text, args_to_props
from providers.supabase.client import ApiKeys, BranchDetail, SupabaseClient

__all__ = [
    "BRANCH",
    "DEFAULT_DEADLINE_SECONDS",
    "PROJECT",
    "ProjectKeys",
    "ProjectKeysArgs",
    "ProjectKeysProvider",
    "SECRET_OUTPUTS",
    "Seconds",
    "connection_string",
]

_log = logging.getLogger(__name__)

PROJECT = "project"
BRANCH = "branch"
DEFAULT_DEADLINE_SECONDS = 600.0
_POSTGRES_PORT = 5432
SECRET_OUTPUTS = ["anon_key", "service_role_key", "connection_string", "db_pass"]
_NEEDED_BY_KIND = {PROJECT: ("db_pass", "db_host"), BRANCH: ("branch_id",)}


@dataclass
class ProjectKeysArgs:
    # The project's ref, or for kind "branch" the branch's own ref (Branch.ref).
    project_ref: pulumi.Input[str]
    # What error messages call it, e.g. the project name.
    label: pulumi.Input[str]
    # Kind "project": the database password and host (Project.db_pass / Project.db_host).
    # Kind "branch": unused (the branch's own database user, password and host are read).
    db_pass: pulumi.Input[str] | None = None
    db_host: pulumi.Input[str] | None = None
    kind: pulumi.Input[str] = PROJECT
    # Kind "branch": Branch.branch_id.
    branch_id: pulumi.Input[str] | None = None
    deadline_seconds: pulumi.Input[float] = DEFAULT_DEADLINE_SECONDS


def connection_string(*, user: str, password: str, host: str, port: int = _POSTGRES_PORT) -> str:
    """postgresql://<user>:<password>@<host>:<port>/postgres, user and password percent-encoded
    (a password with "@", "/" or ":" would otherwise break the URI)."""
    quoted = urllib.parse.quote
    return f"postgresql://{quoted(user, safe='')}:{quoted(password, safe='')}@{host}:{port}/postgres"


class ProjectKeysProvider(DeclarativeProvider):
    schema = Schema(
        Text("project_ref", replaces=True),
        Text("label"),
        Text("db_pass", required=False),
        Text("db_host", required=False),
        Choice("kind", required=False, default=PROJECT, replaces=True, choices=(PROJECT, BRANCH)),
        Text("branch_id", required=False, replaces=True),
        Seconds("deadline_seconds", required=False, default=DEFAULT_DEADLINE_SECONDS),
    )

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = self.schema.check(news)
        inputs = result.inputs
        # Which optional inputs the kind needs (an unknown kind, in preview, needs none yet).
        kind = inputs.get("kind")
        needed = _NEEDED_BY_KIND.get(kind, ()) if isinstance(kind, str) else ()
        failed = {failure.property for failure in result.failures}
        extra = [
            CheckFailure(name, f'{name} is required when kind is "{kind}"')
            for name in needed
            if inputs.get(name) is None and name not in failed
        ]
        return CheckResult(inputs, [*result.failures, *extra])

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.schema.inputs(props)
        ref, label = inputs["project_ref"], inputs["label"]
        with SupabaseClient.from_settings() as supabase, _Alongside() as alongside:
            # Keys exist from the moment a project or branch is made: read them while waiting, so
            # readiness costs no round trip more than the look that sees it healthy.
            early_keys = alongside.start(supabase.get_api_keys, ref, label=label)
            if inputs["kind"] == BRANCH:
                supabase.await_branch_healthy(
                    inputs["branch_id"], ref, label=label, deadline=inputs["deadline_seconds"]
                )
            else:
                supabase.await_project_healthy(ref, label=label, deadline=inputs["deadline_seconds"])
            outputs = _outputs(supabase, inputs, alongside, keys=early_keys.result_or_none())
        if outputs is None:
            raise _gone(inputs)
        return CreateResult(ref, {**inputs, **outputs})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.schema.inputs(props)
        with SupabaseClient.from_settings() as supabase, _Alongside() as alongside:
            outputs = _outputs(supabase, inputs, alongside)
        if outputs is None:
            return ReadResult(None, {})
        return ReadResult(id_, {**inputs, **outputs})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # project_ref, kind and branch_id replace; what is left changes no key. A project's
        # connection string follows its (new) password and host; a branch's is the branch's own.
        inputs = self.schema.inputs(news)
        outputs = {name: olds.get(name) for name in ("anon_key", "service_role_key", "connection_string")}
        if inputs["kind"] == PROJECT:
            outputs["connection_string"] = connection_string(
                user="postgres", password=inputs["db_pass"], host=inputs["db_host"]
            )
        return UpdateResult({**inputs, **outputs})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to delete: the keys live and die with their project or branch."""


def _outputs(
    supabase: SupabaseClient, inputs: Mapping[str, Any], alongside: _Alongside, *, keys: ApiKeys | None = None
) -> dict[str, str] | None:
    """Keys and connection string now, or None when the project or branch is gone. `keys` already
    read are used as they are; what is still needed is read side by side (one round trip)."""
    ref, label = inputs["project_ref"], inputs["label"]
    if inputs["kind"] == BRANCH:
        pending_keys = None if keys is not None else alongside.start(supabase.get_api_keys, ref, label=label)
        branch: BranchDetail | None = supabase.get_branch(inputs["branch_id"], label=label)
        if branch is None:
            return None  # gone: whatever the keys' read made of it no longer matters
        if pending_keys is not None:
            keys = pending_keys.result()
        if keys is None:
            return None
        if branch.db_pass is None:
            raise _no_branch_password(inputs)
        return _key_outputs(
            keys,
            connection_string(user=branch.db_user, password=branch.db_pass, host=branch.db_host, port=branch.db_port),
        )
    if keys is None:
        keys = supabase.get_api_keys(ref, label=label)
    if keys is None:
        return None
    return _key_outputs(keys, connection_string(user="postgres", password=inputs["db_pass"], host=inputs["db_host"]))


class _Pending:
    def __init__(self, future: Future[Any]):
        self._future = future

    def result(self) -> Any:
        return self._future.result()

    def result_or_none(self) -> Any:
        """The result, or None when the request failed: it is then made again, in turn."""
        try:
            return self._future.result()
        except ApiError as problem:
            _log.debug("reading ahead failed (%s); reading again in turn", type(problem).__name__)
            return None


class _Alongside:
    """Requests of one provider call that run beside the call's own thread. Threads inside a call
    are not the provider host's 4 workers, so independent requests need not queue behind each
    other. Leaving the block waits for them (each is bounded by the client's retry deadline)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="project-keys")

    def start(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> _Pending:
        return _Pending(self._pool.submit(call, *args, **kwargs))

    def __enter__(self) -> _Alongside:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._pool.shutdown(wait=True)


def _key_outputs(keys: ApiKeys, connection: str) -> dict[str, str]:
    return {"anon_key": keys.anon, "service_role_key": keys.service_role, "connection_string": connection}


def _gone(inputs: Mapping[str, Any]) -> NotFound:
    return NotFound(
        f'Supabase {inputs["kind"]} "{inputs["label"]}" ({inputs["project_ref"]}) disappeared right after it came up; '
        "run `pulumi up --refresh` to create it again",
        api=SupabaseClient.api,
    )


def _no_branch_password(inputs: Mapping[str, Any]) -> ApiFailure:
    return ApiFailure(
        f'Supabase branch "{inputs["label"]}" ({inputs["project_ref"]}): its configuration has no database '
        "password, so no connection string can be made (does the access token have permission to read it?)",
        api=SupabaseClient.api,
    )


class ProjectKeys(Resource, module="supabase", name="ProjectKeys"):
    """pulumi-python:dynamic/supabase:ProjectKeys, id = the project's (or branch's) ref. Its create
    waits until the project or branch is ACTIVE_HEALTHY (bounded by `deadline_seconds`; on
    failure the project or branch is deleted). Outputs `anon_key`, `service_role_key` and
    `connection_string`, all secret. A new ref, kind or branch id replaces it; anything else
    is an update that makes no request."""

    project_ref: pulumi.Output[str]
    label: pulumi.Output[str]
    db_pass: pulumi.Output[str | None]
    db_host: pulumi.Output[str | None]
    kind: pulumi.Output[str]
    branch_id: pulumi.Output[str | None]
    deadline_seconds: pulumi.Output[float]
    anon_key: pulumi.Output[str]
    service_role_key: pulumi.Output[str]
    connection_string: pulumi.Output[str]

    def __init__(self, resource_name: str, args: ProjectKeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=SECRET_OUTPUTS))
        super().__init__(
            ProjectKeysProvider(),
            resource_name,
            args_to_props(args, anon_key=None, service_role_key=None, connection_string=None),
            opts,
        )
