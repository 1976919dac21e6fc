"""Database: the database an environment's config asks for, as the values its services need.

`dedicated` makes a Supabase project (password generated, readiness awaited, keys read),
`branch` makes a Supabase branch of another environment's project, `external` takes URL and key
from config, and `shared` borrows another environment's connection without creating anything.
Databases an environment owns get migrations and, when new, the seed.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pulumi
from pulumi_command import local

from fleet.config import DatabaseSpec, EnvironmentSpec, SupabaseSpec
from fleet.migrations import directory_digest
from providers.supabase.branch import Branch, BranchArgs
from providers.supabase.project import Project, ProjectArgs
from providers.supabase.project_keys import ProjectKeys, ProjectKeysArgs
from providers.tokens import AccessToken, AccessTokenArgs

COMPONENT_TYPE = "stagefleet:index:Database"
KEY_ROLES = ("anon", "service_role")


@dataclass(frozen=True)
class DatabaseConnection:
    """What services need to reach a database. Keys and the connection string are secret outputs."""

    url: pulumi.Output[str]
    anon_key: pulumi.Output[str]
    service_role_key: pulumi.Output[str]
    ref: pulumi.Output[Optional[str]]
    connection_string: pulumi.Output[Optional[str]]
    strategy: str
    owner: str
    # The resource whose creation means the database is up (its ProjectKeys), for dependents that
    # need more than its outputs, e.g. a branch can only be made of a healthy project.
    ready: Optional[pulumi.Resource] = None

    def key(self, role: str) -> pulumi.Output[str]:
        """The key a service configured with `supabaseKey: <role>` gets as SUPABASE_KEY."""
        if role not in KEY_ROLES:
            raise ValueError(f"unknown Supabase key role {role!r}")
        return self.anon_key if role == "anon" else self.service_role_key

    def borrowed_by(self, strategy: str) -> "DatabaseConnection":
        return dataclasses.replace(self, strategy=strategy)


@dataclass
class DatabaseArgs:
    environment: EnvironmentSpec
    database: DatabaseSpec
    supabase: Optional[SupabaseSpec]
    project_name: str
    instance_size: Optional[str] = None
    # For `branch`: the connection of the environment whose project is branched.
    parent: Optional[DatabaseConnection] = None
    project_directory: Path = Path(".")


class Database(pulumi.ComponentResource):
    connection: DatabaseConnection

    def __init__(self, name: str, args: DatabaseArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(COMPONENT_TYPE, name, None, opts)
        strategy = args.database.strategy
        if strategy == "external":
            self.connection = _external(args)
        elif strategy == "dedicated":
            self.connection = self._dedicated(name, args)
        elif strategy == "branch":
            self.connection = self._branch(name, args)
        else:
            raise ValueError(f"a {strategy} database is borrowed, not created: use DatabaseConnection.borrowed_by")
        if strategy in ("dedicated", "branch") and args.supabase is not None:
            self._migrate_and_seed(name, args)
        self.register_outputs(
            {"url": self.connection.url, "ref": self.connection.ref, "strategy": strategy}
        )

    def _dedicated(self, name: str, args: DatabaseArgs) -> DatabaseConnection:
        supabase = _require(args.supabase, args.environment)
        child = pulumi.ResourceOptions(parent=self)
        password = AccessToken(
            f"{name}-password",
            AccessTokenArgs(prefix=f"{args.environment.name.replace('-', '_')}_db", keepers={"project": args.project_name}),
            child,
        )
        db_pass = pulumi.Output.secret(password.value)
        project = Project(
            f"{name}-project",
            ProjectArgs(
                name=args.project_name,
                organization_slug=supabase.organization_slug,
                region=supabase.region,
                db_pass=db_pass,
                instance_size=args.instance_size,
            ),
            child,
        )
        keys = ProjectKeys(
            f"{name}-keys",
            ProjectKeysArgs(
                project_ref=project.ref,
                label=args.project_name,
                db_pass=db_pass,
                db_host=project.db_host,
                kind="project",
                deadline_seconds=supabase.readiness_deadline_seconds,
            ),
            child,
        )
        return DatabaseConnection(
            url=project.api_url,
            anon_key=pulumi.Output.secret(keys.anon_key),
            service_role_key=pulumi.Output.secret(keys.service_role_key),
            ref=project.ref,
            connection_string=pulumi.Output.secret(keys.connection_string),
            strategy="dedicated",
            owner=args.environment.name,
            ready=keys,
        )

    def _branch(self, name: str, args: DatabaseArgs) -> DatabaseConnection:
        supabase = _require(args.supabase, args.environment)
        if args.parent is None:
            raise ValueError(f'environment "{args.environment.name}": a branch database needs its parent\'s connection')
        child = pulumi.ResourceOptions(parent=self)
        parent_ready = [args.parent.ready] if args.parent.ready is not None else []
        branch = Branch(
            f"{name}-branch",
            BranchArgs(
                parent_ref=args.parent.ref,
                name=args.project_name,
                git_branch=args.environment.branch,
                with_data=args.database.with_data,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=parent_ready),
        )
        keys = ProjectKeys(
            f"{name}-keys",
            ProjectKeysArgs(
                project_ref=branch.ref,
                label=f"branch {args.project_name}",
                db_pass=None,
                db_host=None,
                kind="branch",
                branch_id=branch.branch_id,
                deadline_seconds=supabase.readiness_deadline_seconds,
            ),
            child,
        )
        return DatabaseConnection(
            url=branch.api_url,
            anon_key=pulumi.Output.secret(keys.anon_key),
            service_role_key=pulumi.Output.secret(keys.service_role_key),
            ref=branch.ref,
            connection_string=pulumi.Output.secret(keys.connection_string),
            strategy="branch",
            owner=args.environment.name,
            ready=keys,
        )

    def _migrate_and_seed(self, name: str, args: DatabaseArgs) -> None:
        supabase = args.supabase
        assert supabase is not None
        connection = self.connection
        environment = {
            "DATABASE_URL": connection.connection_string,
            "SUPABASE_URL": connection.url,
            "SUPABASE_ANON_KEY": connection.anon_key,
            "SUPABASE_SERVICE_ROLE_KEY": connection.service_role_key,
        }
        # The commands' output may echo connection details: keep it out of logs and state.
        quiet = dict(logging=local.Logging.NONE)
        secret_output = ["stdout", "stderr"]
        dependencies: list[pulumi.Resource] = []
        if supabase.migrations is not None:
            digest = directory_digest(args.project_directory / supabase.migrations.directory)
            migrations = local.Command(
                f"{name}-migrations",
                create=supabase.migrations.command,
                environment=environment,
                dir=str(args.project_directory),
                # A new digest replaces the command, which runs `create` again.
                triggers=[digest],
                **quiet,
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=secret_output),
            )
            dependencies.append(migrations)
        if supabase.seed is not None and not (args.database.strategy == "branch" and args.database.with_data):
            local.Command(
                f"{name}-seed",
                create=supabase.seed.command,
                environment=environment,
                dir=str(args.project_directory),
                # Seed once per database: only a new database (a new ref) runs it again.
                triggers=[connection.ref],
                **quiet,
                opts=pulumi.ResourceOptions(parent=self, depends_on=dependencies, additional_secret_outputs=secret_output),
            )


def _external(args: DatabaseArgs) -> DatabaseConnection:
    database = args.database
    key = pulumi.Output.secret(database.supabase_key.get_secret_value())
    return DatabaseConnection(
        url=pulumi.Output.from_input(database.supabase_url),
        anon_key=key,
        service_role_key=key,
        ref=pulumi.Output.from_input(_ref_from_url(database.supabase_url)),
        connection_string=pulumi.Output.from_input(None),
        strategy="external",
        owner=args.environment.name,
    )


def _require(supabase: Optional[SupabaseSpec], environment: EnvironmentSpec) -> SupabaseSpec:
    if supabase is None:
        # The config model rejects this before any resource exists; this guards direct use.
        raise ValueError(f'environment "{environment.name}": its database needs the stagefleet:supabase section')
    return supabase


def _ref_from_url(url: str) -> Optional[str]:
    # https://<ref>.supabase.co is the hosted form; anything else has no project ref to report.
    host = url.split("://", 1)[-1].split("/", 1)[0]
    if host.endswith(".supabase.co"):
        return host.removesuffix(".supabase.co")
    return None
