"""Every GraphQL document the Railway providers send, one named operation each.

tests/contract/test_operations_contract.py validates each of them against Railway's published
schema. Selections ask only for what the client reads.
"""

__all__ = [
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
    "PROJECT_NAME",
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

# Looks an environment up by name (the natural key) when a create conflicted or its answer was lost.
ENVIRONMENTS = """
query Environments($projectId: String!, $after: String) {
  environments(projectId: $projectId, after: $after) {
    edges { node { id name projectId isEphemeral deletedAt sourceEnvironment { id } } }
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
