"""Railway dynamic resources: Environment, Variables, DeploymentTrigger, ServiceDomain, and the
GraphQL client they share (its errors are providers.api's family)."""

from providers.railway.client import RailwayClient
from providers.railway.deployment_trigger import DeploymentTrigger, DeploymentTriggerArgs
from providers.railway.environment import Environment, EnvironmentArgs
from providers.railway.service_domain import ServiceDomain, ServiceDomainArgs
from providers.railway.variables import Variables, VariablesArgs

__all__ = [
    "DeploymentTrigger",
    "DeploymentTriggerArgs",
    "Environment",
    "EnvironmentArgs",
    "RailwayClient",
    "ServiceDomain",
    "ServiceDomainArgs",
    "Variables",
    "VariablesArgs",
]
