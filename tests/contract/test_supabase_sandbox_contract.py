"""The Supabase sandbox serves only routes of the published Management API spec, and what it
answers on each matches the spec's 2xx response schema (jsonschema, `$ref`s resolved against
the spec). Response objects are checked strictly: a field the spec does not declare fails too."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.supabase import ROUTES, Route, SupabaseSandbox
from tests.contract.contracts import contract

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is pinned in requirements-dev.txt")
referencing = pytest.importorskip("referencing")
from referencing.jsonschema import DRAFT4  # noqa: E402 - after the importorskip

REPO = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO.parent / "shared" / "contracts" / "supabase" / "management-api-v1.openapi.json"
SPEC_URI = "urn:supabase:management-api-v1"
TOKEN = "sbp_contract"
ORG = "gatewayz"


@pytest.fixture(scope="module", autouse=True)
def published_spec() -> None:
    contract("supabase/management-api-v1.openapi.json", "Supabase's published OpenAPI spec")


# ---------------------------------------------------------------- OpenAPI 3.0 -> JSON Schema


def openapi_to_json_schema(node: Any, *, strict: bool) -> Any:
    """OpenAPI 3.0 schema objects are draft-4-like JSON Schema plus `nullable`: turn
    `nullable: true` into a null-accepting type (and enum). `strict` forbids undeclared
    properties on objects that declare theirs."""
    if isinstance(node, list):
        return [openapi_to_json_schema(item, strict=strict) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: openapi_to_json_schema(value, strict=strict) for key, value in node.items()}
    if out.pop("nullable", False) is True:
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    if strict and isinstance(out.get("properties"), dict) and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


_REGISTRIES: dict[bool, Any] = {}


def response_validator(spec: dict[str, Any], route: Route, status: int, *, strict: bool = True) -> Any:
    """A draft-4 validator for the route's response schema, `$ref`s resolved against the spec
    (converted once per strictness: the spec is half a megabyte)."""
    registry = _REGISTRIES.get(strict)
    if registry is None:
        converted = openapi_to_json_schema(spec, strict=strict)
        registry = referencing.Registry().with_resource(SPEC_URI, DRAFT4.create_resource(converted))
        _REGISTRIES[strict] = registry
    pointer = _pointer(
        "paths", route.template, route.method.lower(), "responses", str(status), "content", "application/json", "schema"
    )
    return jsonschema.Draft4Validator({"$ref": f"{SPEC_URI}#/{pointer}"}, registry=registry)


# ---------------------------------------------------------------- samples from a live sandbox


class Recorder:
    """Drives the sandbox through every route and keeps one (status, body) sample per route key."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        self.samples: dict[str, list[tuple[int, Any]]] = {}

    def call(self, key: str, path: str, body: Any = None, **params: Any) -> Any:
        method = key.split(" ", 1)[0]
        response = self.http.request(method, path, json=body, params=params or None)
        assert response.status_code < 300, (key, response.status_code, response.text)
        payload = response.json() if response.content else None
        self.samples.setdefault(key, []).append((response.status_code, payload))
        return payload


@pytest.fixture(scope="module")
def samples() -> Iterator[dict[str, list[tuple[int, Any]]]]:
    with SupabaseSandbox(tokens={TOKEN}, healthy_after=0.2, lifetime=120) as sb:
        sb.seed_organization(ORG, "Gatewayz")
        rec = Recorder(sb.url)
        try:
            rec.call("GET /v1/organizations", "/v1/organizations")
            rec.call("GET /v1/organizations/{slug}", f"/v1/organizations/{ORG}")
            rec.call("GET /v1/projects/available-regions", "/v1/projects/available-regions", organization_slug=ORG)
            project = rec.call(
                "POST /v1/projects",
                "/v1/projects",
                {
                    "name": "gatewayz-staging-dev1",
                    "organization_slug": ORG,
                    "db_pass": "pw-1234",
                    "region_selection": {"type": "specific", "code": "us-east-1"},
                    "desired_instance_size": "micro",
                },
            )
            ref = project["ref"]
            sb.fail_next_projects(1)
            rec.call(
                "POST /v1/projects",
                "/v1/projects",
                {
                    "name": "fails",
                    "organization_slug": ORG,
                    "db_pass": "pw-1234",
                    "region": "eu-west-1",
                },
            )
            # Both sides of the status machine: COMING_UP now, ACTIVE_HEALTHY / INIT_FAILED later.
            for _ in range(2):
                rec.call("GET /v1/projects/{ref}", f"/v1/projects/{ref}")
                rec.call("GET /v1/projects", "/v1/projects")
                rec.call("GET /v1/organizations/{slug}/projects", f"/v1/organizations/{ORG}/projects", limit=10)
                rec.call("GET /v1/projects/{ref}/health", f"/v1/projects/{ref}/health", services=["db", "rest"])
                time.sleep(0.25)
            rec.call("GET /v1/projects/{ref}/api-keys", f"/v1/projects/{ref}/api-keys")
            rec.call("GET /v1/projects/{ref}/api-keys", f"/v1/projects/{ref}/api-keys", reveal="true")
            rec.call("PATCH /v1/projects/{ref}", f"/v1/projects/{ref}", {"name": "renamed"})
            rec.call(
                "PATCH /v1/projects/{ref}/database/password",
                f"/v1/projects/{ref}/database/password",
                {"password": "n3w-pass"},
            )
            rec.call(
                "PATCH /v1/projects/{ref}/billing/addons",
                f"/v1/projects/{ref}/billing/addons",
                {"addon_type": "compute_instance", "addon_variant": "ci_small"},
            )
            rec.call("GET /v1/projects/{ref}/billing/addons", f"/v1/projects/{ref}/billing/addons")
            rec.call("GET /v1/projects/{ref}/branches", f"/v1/projects/{ref}/branches")
            branch = rec.call(
                "POST /v1/projects/{ref}/branches",
                f"/v1/projects/{ref}/branches",
                {"branch_name": "pr-42", "git_branch": "feature/x", "with_data": False},
            )
            rec.call("GET /v1/projects/{ref}/branches", f"/v1/projects/{ref}/branches")
            rec.call("GET /v1/projects/{ref}/branches/{name}", f"/v1/projects/{ref}/branches/pr-42")
            rec.call("GET /v1/branches/{branch_id_or_ref}", f"/v1/branches/{branch['id']}")
            rec.call("GET /v1/branches/{branch_id_or_ref}", f"/v1/branches/{ref}")
            rec.call("GET /v1/projects/{ref}/health", f"/v1/projects/{branch['project_ref']}/health", services="db")
            rec.call(
                "PATCH /v1/branches/{branch_id_or_ref}", f"/v1/branches/{branch['id']}", {"git_branch": "feature/y"}
            )
            rec.call("DELETE /v1/branches/{branch_id_or_ref}", f"/v1/branches/{branch['id']}")
            rec.call("DELETE /v1/projects/{ref}/branches", f"/v1/projects/{ref}/branches")
            rec.call("DELETE /v1/projects/{ref}", f"/v1/projects/{ref}")
            yield rec.samples
        finally:
            rec.http.close()


# ---------------------------------------------------------------- the contract


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.key)
def test_every_served_route_exists_in_the_spec(spec, route):
    operation = spec["paths"].get(route.template, {}).get(route.method.lower())

    assert operation is not None, f"{route.key} is not in the published spec"
    assert operation["operationId"] == route.operation_id


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.key)
def test_every_served_route_answers_a_2xx_status_of_the_spec(spec, samples, route):
    assert route.key in samples, f"the contract scenario never called {route.key}"
    declared = {
        code for code in spec["paths"][route.template][route.method.lower()]["responses"] if code.startswith("2")
    }

    assert {str(status) for status, _ in samples[route.key]} <= declared


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.key)
def test_every_served_response_validates_against_the_spec_schema(spec, samples, route):
    for status, body in samples[route.key]:
        content = spec["paths"][route.template][route.method.lower()]["responses"][str(status)].get("content")
        if not content:
            continue  # the spec declares no body (e.g. DELETE /v1/projects/{ref}/branches)
        validator = response_validator(spec, route, status)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))

        assert not errors, "\n".join(f"{route.key} {list(e.absolute_path)}: {e.message}" for e in errors)


def test_nullable_is_converted_to_a_null_accepting_type():
    converted = openapi_to_json_schema(
        {"type": "object", "properties": {"a": {"type": "string", "nullable": True, "enum": ["x"]}}}, strict=True
    )

    assert converted["properties"]["a"] == {"type": ["string", "null"], "enum": ["x", None]}
    assert converted["additionalProperties"] is False


def test_strict_validation_rejects_an_undeclared_field(spec):
    route = next(r for r in ROUTES if r.key == "PATCH /v1/projects/{ref}")
    validator = response_validator(spec, route, 200)

    assert not validator.is_valid({"id": 1, "ref": "abcdefghijklmnopqrst", "name": "x", "extra": True})
    assert validator.is_valid({"id": 1, "ref": "abcdefghijklmnopqrst", "name": "x"})


def test_validation_catches_a_wrong_enum_value_in_a_sample(spec, samples):
    route = next(r for r in ROUTES if r.key == "GET /v1/projects/{ref}")
    status, body = samples[route.key][0]
    broken = copy.deepcopy(body)
    broken["status"] = "ALMOST_HEALTHY"

    assert not response_validator(spec, route, status).is_valid(broken)


def test_ref_resolution_reaches_component_schemas(spec):
    route = next(r for r in ROUTES if r.key == "GET /v1/projects/{ref}/api-keys")
    validator = response_validator(spec, route, 200)

    assert not validator.is_valid([{"api_key": "k"}])  # ApiKeyResponse requires name
    assert validator.is_valid([{"name": "anon", "api_key": None}])
