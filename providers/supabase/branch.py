"""A Supabase branch of another environment's project: a per-PR database with its own ref, URL,
keys and connection, made from the parent's schema (and data, with `with_data`).

Like `Project`, creating one returns as soon as Supabase accepts it; `ProjectKeys` with kind
"branch" waits for it to be healthy. The first branch of a project switches branching on for it
(Supabase then also makes the project's default branch, which this resource never owns).

`persistent`: a fleet environment's branch is kept (true); a review stack's is a disposable
preview (false). `instance_size`: its compute, sent as `desired_instance_size` when given (None:
Supabase's default, micro). A change of `persistent` is an update (PATCH /v1/branches/{id}); the
branch update has no size field (UpdateBranchBody), so a new `instance_size` is recorded, like a
project's, and does not resize the running branch. Neither replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult
from pulumi.output import Unknown

from providers.api import NotFound
from providers.resource import Choice, DeclarativeProvider, Flag, Schema, Text, args_to_props
from providers.supabase.client import BRANCH_INSTANCE_SIZES, BranchInfo, SupabaseClient, api_url_for

__all__ = ["Branch", "BranchArgs", "BranchProvider"]


@dataclass
class BranchArgs:
    parent_ref: pulumi.Input[str]
    name: pulumi.Input[str]
    git_branch: pulumi.Input[str] | None = None
    with_data: pulumi.Input[bool] = False
    # True for a fleet environment's branch, False for a review stack's preview branch.
    persistent: pulumi.Input[bool] = False
    instance_size: pulumi.Input[str] | None = None


def _outputs(branch: BranchInfo) -> dict[str, Any]:
    return {"branch_id": branch.id, "ref": branch.project_ref, "api_url": api_url_for(branch.project_ref)}


def _keeps_its_name(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    # Branch names are unique on a parent: a replacement that keeps parent and name must delete
    # the old branch before creating the new one. An unknown value may turn out the same.
    return all(isinstance(news.get(key), Unknown) or olds.get(key) == news.get(key) for key in ("parent_ref", "name"))


class BranchProvider(DeclarativeProvider):
    schema = Schema(
        Text("parent_ref", replaces=True),
        Text("name", replaces=True),
        Text("git_branch", required=False),
        # Data is copied only when a branch is made: asking for it later means a new branch.
        Flag("with_data", required=False, default=False, replaces=True),
        Flag("persistent", required=False, default=False),
        Choice("instance_size", required=False, choices=BRANCH_INSTANCE_SIZES),
        delete_before_replace=_keeps_its_name,
    )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.schema.inputs(props)
        with SupabaseClient.from_settings() as supabase:
            branch = supabase.create_branch(
                parent_ref=inputs["parent_ref"],
                name=inputs["name"],
                git_branch=inputs["git_branch"],
                with_data=inputs["with_data"],
                persistent=inputs["persistent"],
                instance_size=inputs["instance_size"],
            )
            if branch.persistent is not None and branch.persistent != inputs["persistent"]:
                # An adopted branch (a lost answer's, or an earlier run's) is brought in line.
                supabase.update_branch(branch.id, persistent=inputs["persistent"], label=inputs["name"])
        return CreateResult(branch.id, {**inputs, **_outputs(branch)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.schema.inputs(props)
        with SupabaseClient.from_settings() as supabase:
            try:
                branches = supabase.list_branches(inputs["parent_ref"])
            except NotFound:
                return ReadResult(None, {})  # the parent is gone, and its branches with it
        live = next((branch for branch in branches if branch.id == id_), None)
        if live is None:
            return ReadResult(None, {})
        # Name, git branch and persistent are live; with_data only mattered at creation and
        # stands, and the size is recorded (a branch's answer does not carry it). A git branch the
        # resource does not set is not its to report (the API cannot unset one).
        git_branch = live.git_branch if inputs["git_branch"] is not None else None
        persistent = live.persistent if live.persistent is not None else inputs["persistent"]
        return ReadResult(
            id_,
            {**inputs, "name": live.name, "git_branch": git_branch, "persistent": persistent, **_outputs(live)},
        )

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Parent, name and with_data replace the branch. Unsetting git_branch only stops managing
        # it; instance_size is recorded (see the module docstring); persistent is sent.
        inputs = self.schema.inputs(news)
        git_branch = inputs["git_branch"] if inputs["git_branch"] != olds.get("git_branch") else None
        persistent = inputs["persistent"] if inputs["persistent"] != olds.get("persistent", False) else None
        if git_branch is not None or persistent is not None:
            with SupabaseClient.from_settings() as supabase:
                supabase.update_branch(id_, git_branch=git_branch, persistent=persistent, label=inputs["name"])
        return UpdateResult({**inputs, "branch_id": id_, "ref": olds["ref"], "api_url": api_url_for(olds["ref"])})

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        with SupabaseClient.from_settings() as supabase:
            supabase.delete_branch(id_)


class Branch(Resource, module="supabase", name="Branch"):
    """pulumi-python:dynamic/supabase:Branch, id = branch id. Outputs `branch_id`, `ref` (the
    branch's own project ref) and `api_url` ("https://<ref>.supabase.co"). A new parent, name
    or with_data replaces the branch; a new git branch, `persistent` or `instance_size` is an
    update. Returns before the branch is healthy: pair it with ProjectKeys(kind="branch"), which waits."""

    parent_ref: pulumi.Output[str]
    name: pulumi.Output[str]
    git_branch: pulumi.Output[str | None]
    with_data: pulumi.Output[bool]
    persistent: pulumi.Output[bool]
    instance_size: pulumi.Output[str | None]
    branch_id: pulumi.Output[str]
    ref: pulumi.Output[str]
    api_url: pulumi.Output[str]

    def __init__(self, resource_name: str, args: BranchArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            BranchProvider(), resource_name, args_to_props(args, branch_id=None, ref=None, api_url=None), opts
        )
