"""The Supabase client against Supabase's published OpenAPI spec
(../shared/contracts/supabase/management-api-v1.openapi.json, OpenAPI 3.0).

Every (method, path template) in providers.supabase.client.ENDPOINTS is an operation of the spec;
and what actually goes over the wire during whole project and branch lifecycles against the
sandbox (taken from its journal) matches the spec: each concrete path maps to one of the spec's
path templates and to a declared endpoint, every query parameter is one the operation declares
(with a valid value), and every request body validates against the operation's requestBody
schema, with `$ref` resolved and OpenAPI's `nullable` turned into JSON Schema.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from providers import http, settings
from providers.supabase import client as supabase_client
from providers.supabase.branch import BranchProvider
from providers.supabase.client import (
    BRANCH_INSTANCE_SIZES,
    ENDPOINTS,
    HEALTH_SERVICES,
    INSTANCE_SIZES,
    ReadinessDeadlineExceeded,
)
from providers.supabase.project import ProjectProvider
from providers.supabase.project_keys import ProjectKeysProvider
from tests.contract.contracts import contract

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema (requirements-dev.txt) validates request bodies")
referencing = pytest.importorskip("referencing", reason="referencing (a jsonschema dependency) resolves $ref")
from referencing.jsonschema import DRAFT4  # noqa: E402  (after the importorskip guard)

REPO = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO.parent / "shared" / "contracts" / "supabase" / "management-api-v1.openapi.json"
SPEC_URI = "urn:supabase:management-api-v1"
TOKEN = "sbp_contract_test_51e0"
ORGANIZATION = "gatewayz"
METHODS = ("get", "put", "post", "patch", "delete", "head", "options")


# ------------------------------------------------------------ the spec


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    contract("supabase/management-api-v1.openapi.json", "Supabase's published OpenAPI spec")
    return json.loads(SPEC_PATH.read_text())


def operation(spec: dict[str, Any], method: str, template: str) -> dict[str, Any]:
    return spec["paths"][template][method.lower()]


def without_nullable(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: `nullable: true` becomes a "null" type (and a None enum
    member), or an anyOf with {"type": "null"} where there is no type to extend."""
    if isinstance(node, list):
        return [without_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: without_nullable(value) for key, value in node.items()}
    if converted.pop("nullable", False) is True:
        if "type" in converted:
            types = converted["type"] if isinstance(converted["type"], list) else [converted["type"]]
            converted["type"] = [*types, "null"]
            if "enum" in converted:
                converted["enum"] = [*converted["enum"], None]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


@pytest.fixture(scope="module")
def registry(spec: dict[str, Any]) -> Any:
    """The whole spec (nullable converted) as one JSON Schema resource, so "#/components/..."
    references resolve inside it. Draft 4: OpenAPI 3.0 schemas use its boolean exclusiveMinimum."""
    resource = referencing.Resource.from_contents(without_nullable(copy.deepcopy(spec)), default_specification=DRAFT4)
    return referencing.Registry().with_resource(SPEC_URI, resource)


def validator(registry: Any, schema: dict[str, Any]) -> Any:
    """A Draft 4 validator for an operation's schema, resolving its $ref inside the spec."""
    if "$ref" in schema:
        schema = {"$ref": SPEC_URI + schema["$ref"]}
    return jsonschema.Draft4Validator(without_nullable(schema), registry=registry)


def resolved(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def request_body_schema(spec: dict[str, Any], method: str, template: str) -> dict[str, Any] | None:
    body = operation(spec, method, template).get("requestBody")
    if body is None:
        return None
    return body["content"]["application/json"]["schema"]


def template_of(spec: dict[str, Any], method: str, path: str) -> str | None:
    """The spec's path template a concrete path matches (a literal segment beats a parameter,
    so /v1/projects/available-regions is not /v1/projects/{ref})."""
    best: tuple[int, str] | None = None
    for template, item in spec["paths"].items():
        if method.lower() not in item:
            continue
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            literals = sum(1 for part in template.split("/") if part and not part.startswith("{"))
            if best is None or literals > best[0]:
                best = (literals, template)
    return best[1] if best else None


def query_value(raw: list[str], schema: dict[str, Any]) -> Any:
    """A query parameter's string values as the JSON value its schema describes."""
    kind = schema.get("type")
    if kind == "array":
        return [query_value([value], schema.get("items", {})) for value in raw]
    [value] = raw
    if kind == "boolean":
        return {"true": True, "false": False}.get(value, value)
    if kind in ("integer", "number"):
        try:
            return int(value) if kind == "integer" else float(value)
        except ValueError:
            return value
    return value


# ------------------------------------------------------------ the client's declarations


def test_every_endpoint_of_the_client_is_an_operation_of_the_spec(spec: dict[str, Any]) -> None:
    missing = [
        endpoint.key for endpoint in ENDPOINTS if endpoint.method.lower() not in spec["paths"].get(endpoint.path, {})
    ]
    assert missing == []


def test_no_endpoint_the_client_uses_is_internal(spec: dict[str, Any]) -> None:
    internal = [e.key for e in ENDPOINTS if operation(spec, e.method, e.path).get("x-internal")]
    assert internal == []


def test_the_instance_sizes_the_provider_accepts_are_the_specs(spec: dict[str, Any]) -> None:
    schema = resolved(spec, request_body_schema(spec, "POST", "/v1/projects") or {})
    assert list(INSTANCE_SIZES) == schema["properties"]["desired_instance_size"]["enum"]


def test_the_branch_instance_sizes_the_provider_accepts_are_the_specs(spec: dict[str, Any]) -> None:
    schema = resolved(spec, request_body_schema(spec, "POST", "/v1/projects/{ref}/branches") or {})
    assert list(BRANCH_INSTANCE_SIZES) == schema["properties"]["desired_instance_size"]["enum"]


def test_the_health_services_the_client_asks_for_are_declared(spec: dict[str, Any]) -> None:
    [services] = [
        p for p in operation(spec, "GET", "/v1/projects/{ref}/health")["parameters"] if p["name"] == "services"
    ]
    assert set(HEALTH_SERVICES) <= set(services["schema"]["items"]["enum"])


def test_the_body_check_is_not_vacuous(spec: dict[str, Any], registry: Any) -> None:
    create = validator(registry, request_body_schema(spec, "POST", "/v1/projects") or {})
    assert create.is_valid(
        {
            "name": "n",
            "organization_slug": "o",
            "db_pass": "p",
            "region_selection": {"type": "specific", "code": "us-east-1"},
        }
    )
    assert not create.is_valid({"name": "n", "organization_slug": "o"})  # no db_pass
    assert not create.is_valid(
        {
            "name": "n",
            "organization_slug": "o",
            "db_pass": "p",
            "region_selection": {"type": "specific", "code": "mars-1"},
        }
    )
    password = validator(registry, request_body_schema(spec, "PATCH", "/v1/projects/{ref}/database/password") or {})
    assert not password.is_valid({"password": "abc"})  # minLength 4


def test_nullable_becomes_json_schema(registry: Any) -> None:
    api_key = validator(registry, {"$ref": "#/components/schemas/ApiKeyResponse"})
    assert api_key.is_valid({"name": "anon", "api_key": None, "type": None})
    assert not api_key.is_valid({"name": "anon", "type": "not-a-type"})


# ------------------------------------------------------------ what goes over the wire


@pytest.fixture(scope="module")
def sent(spec: dict[str, Any]) -> Iterator[list[Any]]:
    """The sandbox journal of whole project and branch lifecycles, with the paths that adopt
    lost or conflicting creates and clean up failed starts."""
    from sandbox.supabase import SupabaseSandbox

    with (
        pytest.MonkeyPatch.context() as patch,
        SupabaseSandbox(tokens={TOKEN}, healthy_after=0.1, lifetime=120) as sandbox,
    ):
        patch.setattr(
            supabase_client, "DEFAULT_WAIT_POLICY", supabase_client.WaitPolicy(first_delay=0.02, max_delay=0.1)
        )
        patch.setattr(http, "DEFAULT_RETRY_POLICY", replace(http.DEFAULT_RETRY_POLICY, base_delay=0.01, max_delay=0.05))
        sandbox.seed_organization(slug=ORGANIZATION, name="Gatewayz")
        providers = [ProjectProvider(), ProjectKeysProvider(), BranchProvider()]
        request = ConfigureRequest(
            Config({"stagefleet:supabaseAccessToken": TOKEN, "stagefleet:supabaseApiUrl": sandbox.url}, "stagefleet")
        )
        for provider in providers:
            provider.configure(request)
        try:
            _lifecycle(sandbox, *providers)
        finally:
            settings.configure(None)
        yield sandbox.journal


def _lifecycle(sandbox: Any, projects: ProjectProvider, keys: ProjectKeysProvider, branches: BranchProvider) -> None:
    def check(provider: Any, props: dict[str, Any]) -> dict[str, Any]:
        result = provider.check({}, props)
        assert result.failures == []
        return result.inputs

    project_props = {
        "name": "gatewayz-staging-contract",
        "organization_slug": ORGANIZATION,
        "region": "eu-west-2",
        "db_pass": "contract-db-pass-1",
        "instance_size": "micro",
    }
    sandbox.faults.add("POST /v1/projects", "drop_after_apply", times=1)  # adopt by name
    project = projects.create(check(projects, project_props))
    keys_props = {
        "project_ref": project.id,
        "label": project_props["name"],
        "db_pass": project_props["db_pass"],
        "db_host": project.outs["db_host"],
        "deadline_seconds": 30,
    }
    project_keys = keys.create(check(keys, keys_props))
    renamed = {**project_props, "name": "gatewayz-staging-contract-2", "db_pass": "contract-db-pass-2"}
    projects.update(project.id, project.outs, check(projects, renamed))
    projects.read(project.id, project.outs)
    keys.read(project_keys.id, project_keys.outs)

    branch_props = {
        "parent_ref": project.id,
        "name": "gatewayz-staging-pr-7",
        "git_branch": "feature/seven",
        "with_data": True,
        "persistent": True,
        "instance_size": "small",
    }
    branch = branches.create(check(branches, branch_props))
    branches.create(check(branches, branch_props))  # 409, adopted
    branches.update(
        branch.id, branch.outs, check(branches, {**branch_props, "git_branch": "feature/seven-b", "persistent": False})
    )
    branch_keys = keys.create(
        check(keys, {"project_ref": branch.outs["ref"], "label": "pr-7", "kind": "branch", "branch_id": branch.id})
    )
    keys.read(branch_keys.id, branch_keys.outs)
    branches.read(branch.id, branch.outs)
    branches.delete(branch.id, branch.outs)

    # What `fleet orphans` reads: every project of the organization, and a project's branches.
    with supabase_client.SupabaseClient.from_settings() as client:
        assert project.id in {listed.ref for listed in client.list_projects(ORGANIZATION)}
        client.list_branches(project.id)

    sandbox.healthy_after = 60.0  # a project that is not up in time is deleted
    slow = projects.create(check(projects, {**project_props, "name": "gatewayz-staging-slow", "instance_size": None}))
    with pytest.raises(ReadinessDeadlineExceeded):
        keys.create(check(keys, {**keys_props, "project_ref": slow.id, "deadline_seconds": 0.1}))
    projects.delete(project.id, project.outs)


def test_every_endpoint_is_exercised_by_the_lifecycle(sent: list[Any]) -> None:
    assert {entry.key for entry in sent} == {endpoint.key for endpoint in ENDPOINTS}


def test_every_request_maps_to_a_spec_template_and_a_declared_endpoint(spec: dict[str, Any], sent: list[Any]) -> None:
    declared = {endpoint.key for endpoint in ENDPOINTS}
    mapped = [(entry.method, entry.path, template_of(spec, entry.method, entry.path)) for entry in sent]
    assert [m for m in mapped if m[2] is None] == []
    assert {f"{method} {template}" for method, _, template in mapped} <= declared
    # The sandbox names requests by the same template.
    assert [f"{method} {template}" for method, _, template in mapped] == [entry.key for entry in sent]


def test_every_query_parameter_sent_is_declared_with_a_valid_value(
    spec: dict[str, Any], registry: Any, sent: list[Any]
) -> None:
    problems: list[str] = []
    checked = 0
    for entry in sent:
        template = template_of(spec, entry.method, entry.path)
        assert template is not None
        declared = {
            p["name"]: p for p in operation(spec, entry.method, template).get("parameters", []) if p["in"] == "query"
        }
        values: dict[str, list[str]] = {}
        for name, value in parse_qsl(entry.query_string, keep_blank_values=True):
            values.setdefault(name, []).append(value)
        for name, raw in values.items():
            if name not in declared:
                problems.append(f"{entry.key}: query parameter {name} is not declared")
                continue
            schema = declared[name]["schema"]
            errors = [error.message for error in validator(registry, schema).iter_errors(query_value(raw, schema))]
            problems.extend(f"{entry.key}: {name}: {message}" for message in errors)
            checked += 1
        missing = [name for name, p in declared.items() if p.get("required") and name not in values]
        problems.extend(f"{entry.key}: required query parameter {name} missing" for name in missing)
    assert problems == []
    assert checked >= 4


def test_every_request_body_sent_validates_against_the_operations_schema(
    spec: dict[str, Any], registry: Any, sent: list[Any]
) -> None:
    problems: list[str] = []
    validated: set[str] = set()
    for entry in sent:
        template = template_of(spec, entry.method, entry.path)
        assert template is not None
        schema = request_body_schema(spec, entry.method, template)
        if schema is None:
            assert entry.body is None, f"{entry.key} sent a body its operation does not take"
            continue
        problems.extend(
            f"{entry.key}: {error.message}" for error in validator(registry, schema).iter_errors(entry.body)
        )
        # No field the spec does not declare (the schemas allow extra properties; we do not).
        undeclared = set(entry.body) - set(resolved(spec, schema).get("properties", {}))
        problems.extend(f"{entry.key}: undeclared field {name}" for name in sorted(undeclared))
        validated.add(entry.key)
    assert problems == []
    assert validated == {
        "POST /v1/projects",
        "PATCH /v1/projects/{ref}",
        "PATCH /v1/projects/{ref}/database/password",
        "POST /v1/projects/{ref}/branches",
        "PATCH /v1/branches/{branch_id_or_ref}",
    }
