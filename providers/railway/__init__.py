"""Railway dynamic resources: Environment, Variables, DeploymentTrigger, ServiceDomain, and the
GraphQL client they share."""

from providers.railway.client import (
    RailwayApiError,
    RailwayAuthError,
    RailwayClient,
    RailwayConflict,
    RailwayError,
    RailwayNotFound,
)
from providers.railway.deployment_trigger import DeploymentTrigger, DeploymentTriggerArgs
from providers.railway.environment import Environment, EnvironmentArgs
from providers.railway.service_domain import ServiceDomain, ServiceDomainArgs
from providers.railway.variables import Variables, VariablesArgs

__all__ = [
    "DeploymentTrigger",
    "DeploymentTriggerArgs",
    "Environment",
    "EnvironmentArgs",
    "RailwayApiError",
    "RailwayAuthError",
    "RailwayClient",
    "RailwayConflict",
    "RailwayError",
    "RailwayNotFound",
    "ServiceDomain",
    "ServiceDomainArgs",
    "Variables",
    "VariablesArgs",
]
