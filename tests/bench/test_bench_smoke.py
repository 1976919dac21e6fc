"""Each benchmark's main runs end to end in a tiny configuration and reports its figures.

No timing is asserted here (timings belong to `venv/bin/python -m bench.<name>`); what is
asserted is what the figures mean regardless of speed: a no-op up writes nothing, a preview
sends nothing, every environment was provisioned, every service became healthy with exactly one
deployment.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import api_economy, fault_matrix, fleet_scale, fleets, program_eval, provisioning, readiness
from bench.results import source_digest


def test_provisioning_runs_and_reports_the_ratio() -> None:
    figures = provisioning.main(
        ["--sizes", "1", "2", "--healthy-after", "0.3", "--latency", "0", "--repeats", "1", "--no-write"]
    )
    assert [run["environments"] for run in figures["runs"]] == [1, 2]
    assert all(run["seconds_median"] > 0 and run["provider_creates"] > 0 for run in figures["runs"])
    assert set(figures["seconds"]) == set(figures["ratios"]) == {"1", "2"}
    # Every environment got the same resources.
    one, two = (run["provider_creates"] for run in figures["runs"])
    assert two == 2 * one


@pytest.fixture(scope="module")
def economy() -> dict:
    return api_economy.main(["--environments", "1", "--no-write"])


def test_api_economy_runs_and_a_noop_up_and_a_preview_send_nothing(economy: dict) -> None:
    figures = economy
    assert figures["noop_up_writes"] == 0 and figures["noop_up_requests"] == 0
    assert figures["preview_requests"] == 0
    assert figures["refresh"]["writes"] == 0
    per_env = figures["fleet"]["per_new_environment"]
    assert per_env["railway: environmentCreate"]["requests"] == 1
    assert per_env["supabase: POST /v1/projects"]["requests"] == 1
    assert per_env["railway: deploymentTriggers"]["requests"] == 0, "the fork's triggers are adopted without a lookup"


def test_api_economy_destroy_is_one_delete_per_environment_project_and_branch(economy: dict) -> None:
    assert economy["destroy_requests"] == {
        "railway: environmentDelete": 4,
        "supabase: DELETE /v1/branches/{branch_id_or_ref}": 1,
        "supabase: DELETE /v1/projects/{ref}": 2,
    }
    assert economy["destroy_child_writes"] == economy["destroy_deployments_started"] == 0
    assert economy["destroy"]["without_deleted_with"]["child_writes"] > 0


def test_program_eval_runs_and_reports_per_environment_time() -> None:
    figures = program_eval.main(["--sizes", "1", "2", "--repeats", "1", "--no-write"])
    assert [run["environments"] for run in figures["runs"]] == [1, 2]
    assert all(run["per_env_ms_best"] > 0 for run in figures["runs"])


def test_api_economy_finds_one_deployment_per_service_and_one_more_per_service_for_a_variable_edit(
    economy: dict,
) -> None:
    deployed = economy["fleet"]["deployments_after_up"]
    assert deployed["deployments_per_service"] == [1]
    assert deployed["of_the_entrys_branch"] == deployed["deployments"] == deployed["services"]
    assert deployed["started_after_variables_and_settings"] == deployed["services"]
    assert economy["new_deployments_for_one_variable_edit"] == {"staging-dev001": deployed["services"]}


def test_readiness_runs_until_every_service_is_healthy_with_exactly_one_deployment() -> None:
    figures = readiness.main(
        [
            "--sizes",
            "1",
            "--healthy-after",
            "0.3",
            "--latency",
            "0",
            "--building",
            "0.2",
            "--deploying",
            "0.2",
            "--repeats",
            "1",
            "--no-write",
        ]
    )
    [run] = figures["runs"]
    assert (run["environments"], run["services"]) == (1, 2)
    # `fleet status --wait` exited 0 (main raises otherwise), each service with its one deployment.
    assert run["deployments"] == 2 and run["deployments_per_service"] == [1]
    assert run["up_requests_by_operation"]["railway: serviceInstanceDeployV2"] == 2
    # A lag for every service, from its SUCCESS to the healthyAt status printed.
    assert run["lag_seconds"]["count"] == 2 == figures["lag_seconds"]["overall"]["count"]
    # The figures are there, the polls counted: only the one query status sends, and the probes.
    assert set(figures["seconds"]["1"]) == {"up", "ready", "wait", "ready_minus_emulated_delay"}
    assert figures["emulated_ready_delay_seconds"] == pytest.approx(0.7)
    assert run["status_polls_each"][0] >= 1 and run["polls_per_service_per_2s_each"][0] > 0
    assert set(run["status_requests_by_operation"]) == {"railway: environment"}
    assert run["probes_each"][0] >= 2 and run["probe_answers"]["200"] >= 2
    assert set(figures["goals_met"]) == {"polls_per_service_per_2s", "lag_median_seconds"}


def test_fault_matrix_runs_the_cells_it_is_asked_for_and_reports_each_outcome() -> None:
    figures = fault_matrix.main(["--operations", "Environment.read", "Project.create", "--no-write"])
    assert figures["cells"] == 2 * len(fault_matrix.FAULTS) * len(fault_matrix.MODES)
    assert [op["operation"] for op in figures["operations"]] == ["Environment.read", "Project.create"]
    once, every = (figures["counts"][mode] for mode in fault_matrix.MODES)
    # One fault never fails an operation; a lost create's answer is adopted, on every attempt too.
    assert once[fault_matrix.FAILED_THEN_CONVERGED] == 0
    assert once[fault_matrix.ADOPTED] == every[fault_matrix.ADOPTED] == 3
    project = figures["operations"][1]["outcomes"]
    for lost in fault_matrix.LOST_ANSWERS:  # slow, dropped after apply, applied late
        assert project[lost] == {"once": fault_matrix.ADOPTED, "every attempt": fault_matrix.ADOPTED}


def test_fleet_scale_runs_both_plans_without_a_429_and_writes_each_runs_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fleets, "RESULTS", tmp_path)  # not bench/results: tests write no tracked file
    # x300: a project healthy in 0.5 s, an hour of Railway's budget in 12 s.
    figures = fleet_scale.main(["--plans", "hobby", "pro", "--sizes", "1", "3", "--scale", "300"])
    written = json.loads((tmp_path / "fleet_scale.json").read_text())
    assert written["source_digest"] == source_digest() and written["time_scale"] == 300
    runs = written["runs"]
    assert [(run["plan"], run["environments"]) for run in runs] == [("hobby", 1), ("hobby", 3), ("pro", 1), ("pro", 3)]
    assert all(run["http_429"] == 0 for run in runs) and figures["http_429_total"] == 0
    # Two services each, every one healthy with its one deployment, and a lag for each.
    assert all(run["deployments_per_service"] == [1] for run in runs)
    assert [run["lag_seconds"]["deployment_from_success"]["count"] for run in runs] == [2, 6, 2, 6]
    assert all(run["hourly_budget_used"] == run["requests_by_api"]["railway"] for run in runs)
    assert {run["hourly_budget"] for run in runs} == {1_000, 10_000}
    # The third environment shares the first's database: two projects, no branch.
    assert runs[1]["database_strategies"] == {"dedicated": 2, "shared": 1}
    assert runs[1]["requests_by_operation"]["supabase: POST /v1/projects"] == 2
    assert "ratio_100_to_1_pro" not in written, "only a run of 100 environments gives the ratio"
