"""Every GraphQL document the Railway providers send, one named operation each.

tests/contract/test_operations_contract.py validates each of them against Railway's published
schema. Selections ask only for what the client reads.
"""

__all__ = [
    "DEPLOYMENT",
    "DEPLOYMENTS",
    "DEPLOYMENT_TRIGGERS",
    "DEPLOYMENT_TRIGGER_CREATE",
    "DEPLOYMENT_TRIGGER_DELETE",
    "DEPLOYMENT_TRIGGER_UPDATE",
    "DOMAINS",
    "ENVIRONMENT",
    "ENVIRONMENTS",
    "ENVIRONMENT_CREATE",
    "ENVIRONMENT_DELETE",
    "ENVIRONMENT_RENAME",
    "ENVIRONMENT_DEPLOYMENTS",
    "PROJECT_NAME",
    "SERVICE_INSTANCE",
    "SERVICE_INSTANCE_DEPLOY",
    "SERVICE_INSTANCE_UPDATE",
    "SERVICE_DOMAIN_CREATE",
    "SERVICE_DOMAIN_DELETE",
    "SERVICE_DOMAIN_UPDATE",
    "VARIABLES",
    "VARIABLE_COLLECTION_UPSERT",
    "VARIABLE_DELETE",
]

# ---------------------------------------------------------------- environments

# The fork's copied deploy triggers come back too: DeploymentTrigger adopts them without a lookup.
ENVIRONMENT_CREATE = """
mutation EnvironmentCreate($input: EnvironmentCreateInput!) {
  environmentCreate(input: $input) {
    id name projectId isEphemeral
    sourceEnvironment { id }
    deploymentTriggers { edges { node { id environmentId serviceId provider repository branch } } }
  }
}
"""

ENVIRONMENT = """
query Environment($id: String!) {
  environment(id: $id) {
    id name projectId isEphemeral deletedAt
    sourceEnvironment { id }
  }
}
"""

# Every environment of a project, a page at a time: looks an environment up by name (the natural
# key) when a create conflicted or its answer was lost, and lists them with their creation time for
# `fleet orphans`.
ENVIRONMENTS = """
query Environments($projectId: String!, $after: String) {
  environments(projectId: $projectId, after: $after) {
    edges { node { id name projectId isEphemeral createdAt deletedAt sourceEnvironment { id } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

ENVIRONMENT_RENAME = """
mutation EnvironmentRename($id: String!, $input: EnvironmentRenameInput!) {
  environmentRename(id: $id, input: $input) {
    id name projectId isEphemeral deletedAt
    sourceEnvironment { id }
  }
}
"""

ENVIRONMENT_DELETE = """
mutation EnvironmentDelete($id: String!) {
  environmentDelete(id: $id)
}
"""

# Only to name the project in an error message.
PROJECT_NAME = """
query ProjectName($id: String!) {
  project(id: $id) { id name }
}
"""

# ---------------------------------------------------------------- variables

# Unrendered, so a value such as ${{shared.API_URL}} reads back as written and shows no drift.
VARIABLES = """
query Variables($projectId: String!, $environmentId: String!, $serviceId: String) {
  variables(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId, unrendered: true)
}
"""

# Always sent with skipDeploys: true. Railway would otherwise redeploy the service on every write;
# the Deployment resource starts the one deployment a change needs, after every write is made.
VARIABLE_COLLECTION_UPSERT = """
mutation VariableCollectionUpsert($input: VariableCollectionUpsertInput!) {
  variableCollectionUpsert(input: $input)
}
"""

VARIABLE_DELETE = """
mutation VariableDelete($input: VariableDeleteInput!) {
  variableDelete(input: $input)
}
"""

# ---------------------------------------------------------------- deployment triggers

DEPLOYMENT_TRIGGERS = """
query DeploymentTriggers($projectId: String!, $environmentId: String!, $serviceId: String!) {
  deploymentTriggers(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) {
    edges { node { id environmentId serviceId provider repository branch } }
  }
}
"""

DEPLOYMENT_TRIGGER_CREATE = """
mutation DeploymentTriggerCreate($input: DeploymentTriggerCreateInput!) {
  deploymentTriggerCreate(input: $input) { id environmentId serviceId provider repository branch }
}
"""

DEPLOYMENT_TRIGGER_UPDATE = """
mutation DeploymentTriggerUpdate($id: String!, $input: DeploymentTriggerUpdateInput!) {
  deploymentTriggerUpdate(id: $id, input: $input) { id environmentId serviceId provider repository branch }
}
"""

DEPLOYMENT_TRIGGER_DELETE = """
mutation DeploymentTriggerDelete($id: String!) {
  deploymentTriggerDelete(id: $id)
}
"""

# ---------------------------------------------------------------- service domains

SERVICE_DOMAIN_CREATE = """
mutation ServiceDomainCreate($input: ServiceDomainCreateInput!) {
  serviceDomainCreate(input: $input) { id domain environmentId serviceId targetPort }
}
"""

SERVICE_DOMAIN_UPDATE = """
mutation ServiceDomainUpdate($input: ServiceDomainUpdateInput!) {
  serviceDomainUpdate(input: $input)
}
"""

SERVICE_DOMAIN_DELETE = """
mutation ServiceDomainDelete($id: String!) {
  serviceDomainDelete(id: $id)
}
"""

DOMAINS = """
query Domains($projectId: String!, $environmentId: String!, $serviceId: String!) {
  domains(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) {
    serviceDomains { id domain environmentId serviceId targetPort }
  }
}
"""

# ---------------------------------------------------------------- service instances

SERVICE_INSTANCE = """
query ServiceInstance($environmentId: String!, $serviceId: String!) {
  serviceInstance(environmentId: $environmentId, serviceId: $serviceId) {
    id environmentId serviceId healthcheckPath healthcheckTimeout sleepApplication rootDirectory
  }
}
"""

# environmentId given: only that environment's instance changes, never the base's.
SERVICE_INSTANCE_UPDATE = """
mutation ServiceInstanceUpdate($environmentId: String, $serviceId: String!, $input: ServiceInstanceUpdateInput!) {
  serviceInstanceUpdate(environmentId: $environmentId, serviceId: $serviceId, input: $input)
}
"""

# ---------------------------------------------------------------- deployments

# Starts a deployment of the head of the branch the service's trigger follows; answers its id at
# once (the build runs on Railway, nobody waits for it here).
SERVICE_INSTANCE_DEPLOY = """
mutation ServiceInstanceDeployV2($environmentId: String!, $serviceId: String!) {
  serviceInstanceDeployV2(environmentId: $environmentId, serviceId: $serviceId)
}
"""

DEPLOYMENT = """
query Deployment($id: String!) {
  deployment(id: $id) { id status createdAt statusUpdatedAt environmentId serviceId meta staticUrl }
}
"""

# Newest first: looks a deployment up when the answer to serviceInstanceDeployV2 was lost.
DEPLOYMENTS = """
query Deployments($input: DeploymentListInput!, $first: Int) {
  deployments(input: $input, first: $first) {
    edges { node { id status createdAt statusUpdatedAt environmentId serviceId meta staticUrl } }
  }
}
"""

# Every service's latest deployment in one environment, in one request: what `fleet status` polls.
ENVIRONMENT_DEPLOYMENTS = """
query EnvironmentDeployments($id: String!) {
  environment(id: $id) {
    id
    serviceInstances {
      edges {
        node {
          serviceId
          latestDeployment { id status createdAt statusUpdatedAt environmentId serviceId meta staticUrl }
        }
      }
    }
  }
}
"""
