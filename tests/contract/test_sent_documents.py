"""What actually goes over the wire: every GraphQL document the providers send during a whole
environment lifecycle is one of the documents in providers/railway/operations.py, which
test_operations_contract.py validates against Railway's published schema. So no document can
escape the contract check by being built somewhere else."""

from __future__ import annotations

from pulumi.dynamic import Config, ConfigureRequest

from providers import settings
from providers.railway import operations
from providers.railway.deployment_trigger import DeploymentTriggerProvider
from providers.railway.environment import EnvironmentProvider
from providers.railway.service_domain import ServiceDomainProvider
from providers.railway.variables import VariablesProvider
from sandbox.railway import RailwaySandbox

TOKEN = "contract-test-token"
KNOWN_DOCUMENTS = {getattr(operations, name) for name in operations.__all__}


def test_every_document_sent_in_a_lifecycle_is_a_contract_checked_operation():
    with RailwaySandbox(tokens={TOKEN}, lifetime=120) as sandbox:
        seed = sandbox.seed_project(name="gatewayz", services=[{"name": "api", "repository": "gatewayz/api"}])
        providers = [EnvironmentProvider(), VariablesProvider(), DeploymentTriggerProvider(), ServiceDomainProvider()]
        for provider in providers:
            provider.configure(
                ConfigureRequest(
                    Config({"stagefleet:railwayToken": TOKEN, "stagefleet:railwayApiUrl": sandbox.url}, "stagefleet")
                )
            )
        try:
            _lifecycle(sandbox, seed, *providers)
        finally:
            settings.configure(None)
        sent = {entry.query for entry in sandbox.journal}
    assert len(sent) >= 8
    assert sent - KNOWN_DOCUMENTS == set()


def _lifecycle(sandbox, seed, environments, variables, triggers, domains):
    service = seed.service_ids["api"]
    env = {
        "project_id": seed.project_id,
        "name": "staging-contract",
        "source_environment_id": seed.base_environment_id,
        "ephemeral": False,
    }
    created = environments.create(env)
    environments.update(created.id, created.outs, {**env, "name": "staging-contract-2"})
    scope = {"project_id": seed.project_id, "environment_id": created.id, "service_id": service}
    made = variables.create({**scope, "variables": {"A": "1", "B": "2"}})
    variables.update(made.id, made.outs, {**scope, "variables": {"A": "3"}})
    variables.read(made.id, made.outs)
    trigger = triggers.create({**scope, "repository": "gatewayz/api", "branch": "feature/x", "provider": "github"})
    triggers.update(trigger.id, trigger.outs, {**trigger.outs, "branch": "feature/y"})
    triggers.read(trigger.id, trigger.outs)
    domain = domains.create({**scope, "target_port": 8000})
    domains.read(domain.id, domain.outs)
    for provider, made_ in ((domains, domain), (triggers, trigger), (variables, made)):
        provider.delete(made_.id, made_.outs)
    environments.read(created.id, created.outs)
    environments.delete(created.id, created.outs)
