"""GraphQL documents and small steps shared by the Railway deployment, settings and edge tests.

Deployments in these tests follow TIMING on the fake clock: QUEUED for 1s, BUILDING for 10s,
DEPLOYING for 5s, so SUCCESS comes 16s after the start.
"""

from __future__ import annotations

from typing import Any

from sandbox.railway import DeployTiming, RailwaySandbox, SeedResult

TIMING = DeployTiming(queued=1.0, building=10.0, deploying=5.0)
BUILDING_AT, DEPLOYING_AT, DONE_AT = 1.0, 11.0, 16.0
MISSING = "00000000-0000-4000-8000-000000000000"
BACKEND = "gatewayz/gatewayz-backend"

CREATE_ENVIRONMENT = """
mutation EnvironmentCreate($input: EnvironmentCreateInput!) { environmentCreate(input: $input) { id } }"""
DELETE_ENVIRONMENT = "mutation EnvironmentDelete($id: String!) { environmentDelete(id: $id) }"
DEPLOY = """
mutation ServiceInstanceDeployV2($environmentId: String!, $serviceId: String!, $commitSha: String) {
  serviceInstanceDeployV2(environmentId: $environmentId, serviceId: $serviceId, commitSha: $commitSha)
}"""
DEPLOYMENT = """
query Deployment($id: String!) {
  deployment(id: $id) {
    id status createdAt updatedAt statusUpdatedAt environmentId projectId serviceId meta url staticUrl
    canRedeploy canRollback deploymentStopped suggestAddServiceDomain
  }
}"""
DEPLOYMENTS = """
query Deployments($input: DeploymentListInput!, $first: Int, $after: String) {
  deployments(input: $input, first: $first, after: $after) {
    edges { node { id status serviceId environmentId } }
    pageInfo { hasNextPage endCursor }
  }
}"""
ENVIRONMENT_DEPLOYMENTS = """
query EnvironmentDeployments($id: String!) {
  environment(id: $id) {
    serviceInstances { edges { node { serviceId latestDeployment { id status meta } activeDeployments { id } } } }
  }
}"""
SERVICE_INSTANCE = """
query ServiceInstance($environmentId: String!, $serviceId: String!) {
  serviceInstance(environmentId: $environmentId, serviceId: $serviceId) {
    id environmentId serviceId healthcheckPath healthcheckTimeout sleepApplication rootDirectory
    latestDeployment { id }
  }
}"""
SERVICE_INSTANCE_UPDATE = """
mutation ServiceInstanceUpdate($environmentId: String, $serviceId: String!, $input: ServiceInstanceUpdateInput!) {
  serviceInstanceUpdate(environmentId: $environmentId, serviceId: $serviceId, input: $input)
}"""
VARIABLE_COLLECTION_UPSERT = """
mutation VariableCollectionUpsert($input: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $input) }"""
VARIABLE_UPSERT = "mutation VariableUpsert($input: VariableUpsertInput!) { variableUpsert(input: $input) }"
VARIABLE_DELETE = "mutation VariableDelete($input: VariableDeleteInput!) { variableDelete(input: $input) }"
DOMAIN_CREATE = """
mutation ServiceDomainCreate($input: ServiceDomainCreateInput!) { serviceDomainCreate(input: $input) { id domain } }"""


class FakeClock:
    """The Railway sandbox's clock in tests: time moves only when the test advances it, so
    deployment transitions are exact and no test sleeps for them."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def fork(gql: Any, seed: SeedResult, name: str = "staging-dev1-alice", *, skip_initial_deploys: bool = True) -> str:
    """A fork of the base environment; by default without its initial deploys, as stagefleet makes it."""
    payload = {
        "projectId": seed.project_id,
        "name": name,
        "sourceEnvironmentId": seed.base_environment_id,
        "skipInitialDeploys": skip_initial_deploys,
    }
    return gql.data(CREATE_ENVIRONMENT, {"input": payload})["environmentCreate"]["id"]


def deploy(gql: Any, environment_id: str, service_id: str, commit_sha: str | None = None) -> str:
    variables = {"environmentId": environment_id, "serviceId": service_id, "commitSha": commit_sha}
    return gql.data(DEPLOY, variables)["serviceInstanceDeployV2"]


def deployment(gql: Any, deployment_id: str) -> dict[str, Any]:
    return gql.data(DEPLOYMENT, {"id": deployment_id})["deployment"]


def status(gql: Any, deployment_id: str) -> str:
    return deployment(gql, deployment_id)["status"]


def create_domain(gql: Any, environment_id: str, service_id: str) -> str:
    payload = {"environmentId": environment_id, "serviceId": service_id, "targetPort": 8000}
    return gql.data(DOMAIN_CREATE, {"input": payload})["serviceDomainCreate"]["domain"]


def statuses(rw: RailwaySandbox, environment_id: str) -> list[tuple[str, str]]:
    """(trigger, status) of the environment's deployments, oldest first."""
    return [(d["trigger"], d["status"]) for d in rw.deployments(environment_id=environment_id)]
