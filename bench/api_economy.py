"""API economy: how many requests stagefleet makes, from the sandbox journals.

- per new environment (a generated fleet of developer environments with dedicated databases,
  brought up by the whole program through the real provider host), by operation, next to the
  minimum the APIs allow;
- a no-op `pulumi up` of that deployed fleet (check and diff for every resource, update only what
  the diff says changed): writes, and requests at all;
- deployments: after `up`, how many each service of each new environment has, of which branch, and
  whether each was started after that service's variables and settings were written; an edit of
  one environment's variable: how many new deployments, and where;
- an edit (one environment's branch changed): what its `up` sends;
- a `pulumi refresh` of the deployed sandbox stack (every resource type, the branch database
  included): reads per resource, by type;
- `pulumi preview` of a new fleet and of an edit of the deployed one: requests.
- `pulumi destroy` of the deployed sandbox stack: requests by operation, provider calls (deletes,
  and drops of what is `deleted_with` a parent that goes too), deployments started meanwhile; and
  the same destroy of a state without `deleted_with` (what every destroy cost before it).

    venv/bin/python -m bench.api_economy                 # 5 environments
    venv/bin/python -m bench.api_economy --environments 2 --no-write

Writes bench/results/api_economy.json with `noop_up_writes`, `preview_requests`,
`refresh_reads_per_resource` and `destroy_*`.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from bench.fleets import fleet_mapping, is_write, provider_host, request_label, sandboxes, write_results
from harness import existing_stack
from harness.mocks import TODAY, stack_mapping
from harness.new_stack import up as up_new_stack
from programs.fleet import deploy_fleet, load_fleet_spec

ENVIRONMENTS = 5
HEALTHY_AFTER = 0.3


def _minimum_per_environment(services: int, domains: int) -> dict[str, tuple[int, str]]:
    """Per new environment with a dedicated database: the fewest requests the APIs allow for
    each operation stagefleet uses, and why."""
    return {
        "railway: environmentCreate": (1, "one fork; its answer carries the copied deploy triggers"),
        "railway: variableCollectionUpsert": (services, "one per service: each gets its own key"),
        "railway: deploymentTriggers": (0, "the fork's triggers come back with environmentCreate"),
        "railway: deploymentTriggerUpdate": (services, "point each copied trigger at the branch"),
        "railway: serviceDomainCreate": (domains, "one generated domain per public service"),
        "railway: serviceInstanceUpdate": (services, "one per service: healthcheck and sleep settings"),
        "railway: serviceInstanceDeployV2": (services, "one deployment per service, once everything is written"),
        "supabase: GET /v1/organizations/{slug}/projects": (
            0,
            "not needed to create; stagefleet looks once first, so a create whose answer is lost "
            "adopts the project it made and never an older one of the same name",
        ),
        "supabase: POST /v1/projects": (1, "one project"),
        "supabase: GET /v1/projects/{ref}": (1, "at least one look to see it ACTIVE_HEALTHY (more while it comes up)"),
        "supabase: GET /v1/projects/{ref}/api-keys": (1, "the keys"),
    }


class Attribution:
    """Which requests each provider call made (the calls it is used for run one at a time)."""

    def __init__(self, boxes: Any):
        self._boxes = boxes
        self.by_call: list[tuple[str, str, Counter[str]]] = []

    @contextlib.contextmanager
    def __call__(self, op: str, urn: str) -> Iterator[None]:
        before = len(self._boxes.journal())
        yield
        made = self._boxes.journal()[before:]
        self.by_call.append((op, urn, Counter(f"{api}: {request_label(api, entry)}" for api, entry in made)))


def _counts(entries: list[tuple[str, Any]]) -> dict[str, int]:
    return dict(sorted(Counter(f"{api}: {request_label(api, entry)}" for api, entry in entries).items()))


def _edit_branch(mapping: dict[str, Any], environment: str, branch: str) -> dict[str, Any]:
    edited = dict(mapping)
    environments = json.loads(edited["stagefleet:environments"])
    for env in environments:
        if env["name"] == environment:
            env["branch"] = branch
    edited["stagefleet:environments"] = json.dumps(environments)
    return edited


def _edit_variable(mapping: dict[str, Any], environment: str, name: str, value: str) -> dict[str, Any]:
    edited = dict(mapping)
    environments = json.loads(edited["stagefleet:environments"])
    for env in environments:
        if env["name"] == environment:
            env.setdefault("variables", {})[name] = value
    edited["stagefleet:environments"] = json.dumps(environments)
    return edited


def deployment_figures(boxes: Any, entries: list[tuple[str, Any]], branches: dict[str, str]) -> dict[str, Any]:
    """Per service of every new environment: its deployments, their branch, and whether each was
    requested after the service's variables and settings were written (journal order)."""
    last_write: dict[tuple[str, str], float] = {}
    deploy_requests: dict[tuple[str, str], list[float]] = {}
    for api, entry in entries:
        field = entry.root_fields[0] if api == "railway" and entry.root_fields else None
        arguments = entry.variables.get("input") if field == "variableCollectionUpsert" else entry.variables
        if field is None or not arguments:
            continue
        scope = (str(arguments.get("environmentId")), str(arguments.get("serviceId")))
        if field in ("variableCollectionUpsert", "serviceInstanceUpdate"):
            last_write[scope] = max(last_write.get(scope, 0.0), entry.at)
        elif field == "serviceInstanceDeployV2":
            deploy_requests.setdefault(scope, []).append(entry.at)
    names = {env["id"]: env["name"] for env in boxes.railway.environments(boxes.project_id)}
    deployments = [d for d in boxes.railway.deployments() if names.get(d["environmentId"]) in branches]
    per_service = Counter((d["environmentId"], d["serviceId"]) for d in deployments)
    return {
        "services": len(per_service),
        "deployments": len(deployments),
        "deployments_per_service": sorted(set(per_service.values())),
        "of_the_entrys_branch": sum(d["branch"] == branches[names[d["environmentId"]]] for d in deployments),
        "started_after_variables_and_settings": sum(
            bool(requests) and min(requests) > last_write.get(scope, float("inf"))
            for scope, requests in deploy_requests.items()
        ),
        "started_by": dict(Counter(d["trigger"] for d in deployments)),
    }


def _program(mapping: dict[str, Any]) -> Any:
    return lambda: deploy_fleet(load_fleet_spec(mapping), today=TODAY)


def fleet_figures(count: int) -> dict[str, Any]:
    mapping = fleet_mapping(count)
    spec = load_fleet_spec(mapping)
    services = len(spec.railway.services)
    domains = sum(1 for service in spec.railway.services if service.domain)
    with sandboxes(healthy_after=HEALTHY_AFTER) as boxes, provider_host(boxes) as host:
        boxes.clear_journals()
        deployment = up_new_stack(_program(mapping), host)
        if deployment.error is not None:
            raise RuntimeError(f"up of {count} environments failed: {deployment.error}")
        created = boxes.journal()
        per_env = {op: round(n / count, 2) for op, n in _counts(created).items()}
        branches = {f"staging-{env['name']}": env["branch"] for env in json.loads(mapping["stagefleet:environments"])}
        after_up = deployment_figures(boxes, created, branches)

        state = existing_stack.state_of(deployment)
        boxes.clear_journals()
        noop = existing_stack.up(_program(mapping), host, state)
        if noop.error is not None:
            raise RuntimeError(f"no-op up failed: {noop.error}")
        noop_entries = boxes.journal()

        before_edit = Counter(d["environmentId"] for d in boxes.railway.deployments())
        boxes.clear_journals()
        variable_edit = existing_stack.up(
            _program(_edit_variable(mapping, "dev001", "LOG_LEVEL", "debug")), host, state
        )
        if variable_edit.error is not None:
            raise RuntimeError(f"a variable edit failed: {variable_edit.error}")
        names = {env["id"]: env["name"] for env in boxes.railway.environments(boxes.project_id)}
        new_deployments = Counter(d["environmentId"] for d in boxes.railway.deployments()) - before_edit
        variable_edit_figures = {
            "requests": _counts(boxes.journal()),
            "new_deployments": {names[env]: n for env, n in new_deployments.items()},
        }
        mapping = _edit_variable(mapping, "dev001", "LOG_LEVEL", "debug")

        edited = _edit_branch(mapping, "dev001", "feature/dev001-v2")
        boxes.clear_journals()
        preview_edit = existing_stack.up(_program(edited), host, state, preview=True)
        preview_edit_entries = boxes.journal()
        boxes.clear_journals()
        edit = existing_stack.up(_program(edited), host, state)
        edit_entries = boxes.journal()

        boxes.clear_journals()
        preview_new = existing_stack.up(_program(fleet_mapping(count)), host, {}, preview=True)
        preview_new_entries = boxes.journal()
        for run in (preview_edit, edit, preview_new):
            if run.error is not None:
                raise RuntimeError(f"a run failed: {run.error}")

    minimum = _minimum_per_environment(services, domains)
    operations = sorted(set(per_env) | set(minimum))
    return {
        "environments": count,
        "services_per_environment": services,
        "per_new_environment": {
            op: {
                "requests": per_env.get(op, 0),
                "minimum": minimum[op][0] if op in minimum else None,
                "why": minimum[op][1] if op in minimum else "",
            }
            for op in operations
        },
        "per_new_environment_total": round(sum(per_env.values()), 2),
        "per_new_environment_minimum_total": sum(value for value, _ in minimum.values()),
        "readiness_looks_note": (
            f"GET /v1/projects/{{ref}} looks depend on how long a project takes (here {HEALTHY_AFTER:g} s) "
            "and the wait policy; the keys are read while waiting"
        ),
        "noop_up": {
            "writes": sum(1 for api, entry in noop_entries if is_write(api, entry)),
            "requests": len(noop_entries),
            "provider_calls": dict(Counter(step.op for step in noop.steps)),
        },
        "deployments_after_up": after_up,
        "edit_variable_up": variable_edit_figures,
        "edit_branch_up": {
            "requests": _counts(edit_entries),
            "provider_calls": dict(Counter(step.op for step in edit.steps if step.op not in ("check", "diff"))),
        },
        "preview_requests": {
            "new_fleet": len(preview_new_entries),
            "edit_of_deployed_fleet": len(preview_edit_entries),
        },
    }


def _kind(resource: Any) -> str:
    kind = resource.type.rsplit(":", 1)[-1]
    if kind == "ProjectKeys":
        # A branch's keys need two facts from two endpoints: its keys, and its own database login.
        return f"ProjectKeys ({resource.outputs.get('kind')})"
    return kind


def refresh_figures() -> dict[str, Any]:
    """Reads per resource during a refresh of the deployed sandbox stack (every resource type)."""
    with sandboxes(healthy_after=HEALTHY_AFTER) as boxes, provider_host(boxes) as host:
        deployment = up_new_stack(_program(stack_mapping("Pulumi.sandbox.yaml")), host)
        if deployment.error is not None:
            raise RuntimeError(f"up of the sandbox stack failed: {deployment.error}")
        state = existing_stack.state_of(deployment)
        types = {urn: _kind(resource) for urn, resource in state.items()}
        attribution = Attribution(boxes)
        boxes.clear_journals()
        drift = existing_stack.refresh(state, host, on_call=attribution)
        entries = boxes.journal()
    by_type: dict[str, list[int]] = defaultdict(list)
    requests_by_type: dict[str, Counter[str]] = defaultdict(Counter)
    for _, urn, made in attribution.by_call:
        by_type[types[urn]].append(sum(made.values()))
        requests_by_type[types[urn]].update(made)
    per_type = {
        kind: {
            "resources": len(reads),
            "reads_per_resource_max": max(reads),
            "reads_per_resource_mean": round(sum(reads) / len(reads), 2),
            "requests": dict(sorted(requests_by_type[kind].items())),
        }
        for kind, reads in sorted(by_type.items())
    }
    return {
        "resources": len(types),
        "requests": len(entries),
        "writes": sum(1 for api, entry in entries if is_write(api, entry)),
        "drift_found": len(drift),
        "per_type": per_type,
    }


# Railway writes that belong to a service in an environment: none is needed when the environment goes.
CHILD_WRITES = (
    "variableDelete",
    "variableUpsert",
    "variableCollectionUpsert",
    "deploymentTriggerDelete",
    "deploymentTriggerUpdate",
    "serviceDomainDelete",
    "serviceInstanceUpdate",
    "serviceInstanceDeployV2",
)


class DeploymentWatch:
    """Every deployment id the Railway sandbox has after each provider call: one a call starts is
    seen before its environment's delete forgets it."""

    def __init__(self, boxes: Any):
        self._boxes = boxes
        self.seen: set[str] = set()

    @contextlib.contextmanager
    def __call__(self, _op: str, _urn: str) -> Iterator[None]:
        yield
        self.seen |= {d["id"] for d in self._boxes.railway.deployments()}


def _destroy(*, deleted_with: bool) -> dict[str, Any]:
    with sandboxes(healthy_after=HEALTHY_AFTER) as boxes, provider_host(boxes) as host:
        deployment = up_new_stack(_program(stack_mapping("Pulumi.sandbox.yaml")), host)
        if deployment.error is not None:
            raise RuntimeError(f"up of the sandbox stack failed: {deployment.error}")
        state = existing_stack.state_of(deployment)
        if not deleted_with:
            state = {urn: dataclasses.replace(resource, deleted_with="") for urn, resource in state.items()}
        kinds = Counter(_kind(resource) for resource in state.values())
        before = {d["id"] for d in boxes.railway.deployments()}
        watch = DeploymentWatch(boxes)
        boxes.clear_journals()
        run = existing_stack.destroy(state, host, on_call=watch)
        entries = boxes.journal()
    counts = _counts(entries)
    return {
        "resources": dict(sorted(kinds.items())),
        "requests": counts,
        "requests_total": len(entries),
        "writes": sum(1 for api, entry in entries if is_write(api, entry)),
        "child_writes": sum(counts.get(f"railway: {field}", 0) for field in CHILD_WRITES),
        "provider_calls": dict(Counter(step.op for step in run.steps)),
        "deployments_started": len(watch.seen - before),
    }


def destroy_figures() -> dict[str, Any]:
    """A destroy of the deployed sandbox stack (4 environments, 2 projects, 1 branch), and the
    same destroy of a state that records no deleted_with (as every destroy went before it)."""
    return {"with_deleted_with": _destroy(deleted_with=True), "without_deleted_with": _destroy(deleted_with=False)}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--environments", type=int, default=ENVIRONMENTS)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results alone")
    args = parser.parse_args(argv)

    fleet = fleet_figures(args.environments)
    refresh = refresh_figures()
    destroy = destroy_figures()
    print(
        f"requests per new environment ({args.environments} environments, dedicated databases, "
        f"{fleet['services_per_environment']} services each)"
    )
    print(f"  {'operation':<52} {'stagefleet':>10} {'minimum':>8}")
    for op, figures in fleet["per_new_environment"].items():
        minimum = "" if figures["minimum"] is None else figures["minimum"]
        print(f"  {op:<52} {figures['requests']:>10} {minimum:>8}")
    print(f"  {'total':<52} {fleet['per_new_environment_total']:>10} {fleet['per_new_environment_minimum_total']:>8}")
    print(
        f"\nno-op up: {fleet['noop_up']['writes']} writes, {fleet['noop_up']['requests']} requests "
        f"(provider calls: {fleet['noop_up']['provider_calls']})"
    )
    deployed = fleet["deployments_after_up"]
    print(
        f"deployments after up: {deployed['deployments']} for {deployed['services']} services "
        f"(per service: {deployed['deployments_per_service']}), {deployed['of_the_entrys_branch']} of the "
        f"entry's branch, {deployed['started_after_variables_and_settings']} started after the service's "
        f"variables and settings were written; started by {deployed['started_by']}"
    )
    print(
        f"one variable of one environment changed: new deployments {fleet['edit_variable_up']['new_deployments']}, "
        f"requests {fleet['edit_variable_up']['requests']}"
    )
    print(
        f"one environment's branch changed: {fleet['edit_branch_up']['requests']} "
        f"({fleet['edit_branch_up']['provider_calls']})"
    )
    print(f"preview: {fleet['preview_requests']} requests")
    print(
        f"refresh of the sandbox stack: {refresh['requests']} reads for {refresh['resources']} resources, "
        f"{refresh['writes']} writes"
    )
    for kind, figures in refresh["per_type"].items():
        print(
            f"  {kind:<22} {figures['resources']:>3} resources, at most {figures['reads_per_resource_max']} "
            f"read(s) each: {figures['requests']}"
        )

    for variant, figures_of in destroy.items():
        print(
            f"destroy of the sandbox stack ({variant.replace('_', ' ')}): {figures_of['requests_total']} requests, "
            f"{figures_of['child_writes']} variable/trigger/domain/instance writes, "
            f"{figures_of['deployments_started']} deployments started; provider calls {figures_of['provider_calls']}"
        )
        for op, n in figures_of["requests"].items():
            print(f"  {op:<52} {n:>4}")

    figures: dict[str, Any] = {
        "noop_up_writes": fleet["noop_up"]["writes"],
        "noop_up_requests": fleet["noop_up"]["requests"],
        "preview_requests": sum(fleet["preview_requests"].values()),
        "deployments_per_service_after_up": fleet["deployments_after_up"]["deployments_per_service"],
        "new_deployments_for_one_variable_edit": fleet["edit_variable_up"]["new_deployments"],
        "refresh_reads_per_resource": {kind: f["reads_per_resource_max"] for kind, f in refresh["per_type"].items()},
        "refresh_max_reads_per_resource": max(f["reads_per_resource_max"] for f in refresh["per_type"].values()),
        "destroy_requests": destroy["with_deleted_with"]["requests"],
        "destroy_child_writes": destroy["with_deleted_with"]["child_writes"],
        "destroy_deployments_started": destroy["with_deleted_with"]["deployments_started"],
        "destroy_requests_total": destroy["with_deleted_with"]["requests_total"],
        "destroy_requests_total_without_deleted_with": destroy["without_deleted_with"]["requests_total"],
        "fleet": fleet,
        "refresh": refresh,
        "destroy": destroy,
    }
    if not args.no_write:
        print(f"wrote {write_results('api_economy', figures)}")
    return figures


if __name__ == "__main__":
    main()
