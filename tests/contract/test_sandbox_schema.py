"""The sandbox's SDL (sandbox/railway.graphql) is a faithful subset of Railway's published schema,
and serves the operations of operations.graphql that fall in that subset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    build_client_schema,
    build_schema,
    is_non_null_type,
    parse,
    validate,
)

from tests.contract.contracts import contract

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO.parent / "shared" / "contracts" / "railway"
PUBLISHED_JSON = CONTRACTS / "railway-cli-schema.json"
OPERATIONS = CONTRACTS / "operations.graphql"
SANDBOX_SDL = REPO / "sandbox" / "railway.graphql"

# The operations the sandbox must serve (sections environments, variables, deploy triggers,
# service domains, deployments and service instance settings, and the project query): a dropped field in the SDL fails here, not silently.
REQUIRED_OPERATIONS = {
    "EnvironmentCreate",
    "Environments",
    "Environment",
    "EnvironmentRename",
    "EnvironmentDelete",
    "EnvironmentStagedChanges",
    "EnvironmentPatchCommitStaged",
    "EnvironmentUnskipService",
    "VariableUpsert",
    "VariableCollectionUpsert",
    "VariableDelete",
    "Variables",
    "VariablesForServiceDeployment",
    "EnvironmentVariableMeta",
    "DeploymentTriggers",
    "DeploymentTriggerCreate",
    "DeploymentTriggerUpdate",
    "DeploymentTriggerDelete",
    "ServiceDomainCreate",
    "ServiceDomainUpdate",
    "ServiceDomainDelete",
    "Domains",
    "ServiceDomainAvailable",
    "ProjectPrSettings",
    "ServiceInstanceUpdate",
    "ServiceInstanceDeployV2",
    "Deployment",
    "LatestDeployment",
    "Deployments",
}


@pytest.fixture(scope="module", autouse=True)
def published_contracts() -> None:
    contract("railway/railway-cli-schema.json", "Railway's published schema")
    contract("railway/operations.graphql", "Railway's published operations")


@pytest.fixture(scope="module")
def published() -> GraphQLSchema:
    # assume_valid: graphql-core 3.3's schema validation rejects the published snapshot (e.g.
    # "Interface field Node.id is not deprecated, so implementation field Team.id must not be
    # deprecated"), which 3.2 accepted. That is Railway's schema, not ours to fix; documents are
    # still validated against it.
    return build_client_schema(json.loads(PUBLISHED_JSON.read_text())["data"], assume_valid=True)


@pytest.fixture(scope="module")
def sandbox() -> GraphQLSchema:
    return build_schema(SANDBOX_SDL.read_text())


def sandbox_types(schema: GraphQLSchema) -> list[GraphQLNamedType]:
    return [t for name, t in schema.type_map.items() if not name.startswith("__")]


def field_problems(owner: str, ours: GraphQLField, theirs: GraphQLField) -> list[str]:
    problems = []
    if str(ours.type) != str(theirs.type):
        problems.append(f"{owner}: type {ours.type} != published {theirs.type}")
    for arg_name, arg in ours.args.items():
        published_arg = theirs.args.get(arg_name)
        if published_arg is None:
            problems.append(f"{owner}({arg_name}): no such argument")
        elif str(arg.type) != str(published_arg.type):
            problems.append(f"{owner}({arg_name}): type {arg.type} != published {published_arg.type}")
    for arg_name, published_arg in theirs.args.items():
        if arg_name not in ours.args and is_non_null_type(published_arg.type):
            problems.append(f"{owner}({arg_name}): required argument omitted")
    return problems


def type_problems(ours: GraphQLNamedType, theirs: GraphQLNamedType | None) -> list[str]:
    if theirs is None:
        return [f"{ours.name}: no such type"]
    if type(ours) is not type(theirs):
        return [f"{ours.name}: {type(ours).__name__} != published {type(theirs).__name__}"]
    problems: list[str] = []
    if isinstance(ours, (GraphQLObjectType, GraphQLInterfaceType)):
        assert isinstance(theirs, (GraphQLObjectType, GraphQLInterfaceType))
        published_interfaces = {i.name for i in theirs.interfaces}
        problems += [
            f"{ours.name}: does not implement {i.name}" for i in ours.interfaces if i.name not in published_interfaces
        ]
        for name, field in ours.fields.items():
            if name not in theirs.fields:
                problems.append(f"{ours.name}.{name}: no such field")
            else:
                problems += field_problems(f"{ours.name}.{name}", field, theirs.fields[name])
    elif isinstance(ours, GraphQLInputObjectType):
        assert isinstance(theirs, GraphQLInputObjectType)
        for name, input_field in ours.fields.items():
            published_field = theirs.fields.get(name)
            if published_field is None:
                problems.append(f"{ours.name}.{name}: no such input field")
            elif str(input_field.type) != str(published_field.type):
                problems.append(f"{ours.name}.{name}: type {input_field.type} != published {published_field.type}")
        problems += [
            f"{ours.name}.{name}: required input field omitted"
            for name, f in theirs.fields.items()
            if name not in ours.fields and is_non_null_type(f.type)
        ]
    elif isinstance(ours, GraphQLEnumType):
        assert isinstance(theirs, GraphQLEnumType)
        problems += [f"{ours.name}.{v}: no such enum value" for v in ours.values if v not in theirs.values]
    return problems


def operations_in_subset(sandbox: GraphQLSchema) -> dict[str, DocumentNode]:
    """Each operation of operations.graphql whose root fields all exist in the sandbox schema."""
    selected = {}
    for op in parse(OPERATIONS.read_text()).definitions:
        assert isinstance(op, OperationDefinitionNode) and op.name is not None
        root = sandbox.mutation_type if op.operation == OperationType.MUTATION else sandbox.query_type
        roots = [selection.name.value for selection in op.selection_set.selections]  # type: ignore[attr-defined]
        if root is not None and all(name in root.fields for name in roots):
            selected[op.name.value] = DocumentNode(definitions=(op,))
    return selected


def test_every_sandbox_type_field_and_argument_exists_in_the_published_schema(published, sandbox):
    problems = [p for t in sandbox_types(sandbox) for p in type_problems(t, published.get_type(t.name))]

    assert problems == []


def test_sandbox_custom_scalars_are_published_scalars(published, sandbox):
    scalars = {t.name for t in sandbox_types(sandbox) if isinstance(t, GraphQLScalarType)}

    assert {"DateTime", "EnvironmentVariables", "JSON"} <= scalars
    assert all(isinstance(published.get_type(name), GraphQLScalarType) for name in scalars)


def test_sandbox_serves_every_required_operation(sandbox):
    assert REQUIRED_OPERATIONS - set(operations_in_subset(sandbox)) == set()


def test_operations_in_the_subset_validate_against_the_sandbox_schema(sandbox):
    errors = {name: [e.message for e in validate(sandbox, doc)] for name, doc in operations_in_subset(sandbox).items()}

    assert {name: errs for name, errs in errors.items() if errs} == {}


def test_operations_in_the_subset_validate_against_the_published_schema(published, sandbox):
    errors = {
        name: [e.message for e in validate(published, doc)] for name, doc in operations_in_subset(sandbox).items()
    }

    assert {name: errs for name, errs in errors.items() if errs} == {}


def test_checker_reports_a_field_whose_type_differs(published):
    tampered = build_schema(
        "type Query { environment(id: String!): Environment }\ntype Environment { id: ID! name: String }"
    )

    problems = [p for t in sandbox_types(tampered) for p in type_problems(t, published.get_type(t.name))]

    assert "Query.environment: type Environment != published Environment!" in problems
    assert "Environment.name: type String != published String!" in problems
