"""Every GraphQL document the Railway providers send is valid against Railway's published schema
(../shared/contracts/railway/railway-cli-schema.json, an introspection snapshot)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, build_client_schema, parse, validate, validate_schema

from providers.railway import operations
from tests.contract.contracts import contract

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO.parent / "shared" / "contracts" / "railway" / "railway-cli-schema.json"

DOCUMENTS = {name: getattr(operations, name) for name in operations.__all__}


def _undeprecate_interface_fields(introspection: dict[str, Any]) -> None:
    """graphql-core 3.3 enforces a newer rule: a field implementing a non-deprecated interface
    field must not be deprecated. The snapshot breaks it once (Team.id vs Node.id). Deprecation
    never makes a document invalid, so clearing those flags in this in-memory copy changes
    nothing the documents are checked against."""
    # The introspection result has exactly one root: the schema.
    (schema,) = introspection.values()
    types = {t["name"]: t for t in schema["types"]}
    for graphql_type in types.values():
        for interface in graphql_type.get("interfaces") or []:
            interface_fields = {f["name"]: f for f in types[interface["name"]].get("fields") or []}
            for field in graphql_type.get("fields") or []:
                inherited = interface_fields.get(field["name"])
                if inherited is not None and field.get("isDeprecated") and not inherited.get("isDeprecated"):
                    field["isDeprecated"] = False
                    field["deprecationReason"] = None


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    contract("railway/railway-cli-schema.json", "Railway's published schema")
    introspection = json.loads(SCHEMA_PATH.read_text())["data"]
    _undeprecate_interface_fields(introspection)
    built = build_client_schema(introspection)
    assert [error.message for error in validate_schema(built)] == []
    return built


@pytest.mark.parametrize("document", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_document_is_valid_against_the_published_schema(schema: GraphQLSchema, document: str) -> None:
    assert [error.message for error in validate(schema, parse(document))] == []


@pytest.mark.parametrize("document", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_document_is_exactly_one_named_operation(document: str) -> None:
    [definition] = parse(document).definitions
    assert isinstance(definition, OperationDefinitionNode) and definition.name is not None


def test_operation_names_are_unique() -> None:
    names = [parse(document).definitions[0].name.value for document in DOCUMENTS.values()]  # type: ignore[attr-defined]
    assert len(names) == len(set(names))


def test_every_document_in_the_module_is_exported() -> None:
    documents = {
        name
        for name, value in vars(operations).items()
        if name.isupper() and isinstance(value, str) and value.lstrip().startswith(("query ", "mutation "))
    }
    assert documents == set(operations.__all__)
