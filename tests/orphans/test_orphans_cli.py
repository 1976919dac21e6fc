"""`python -m fleet orphans` as CI runs it: a process, the credentials in its environment. Its exit
codes, and no credential in anything it prints, in any format, reporting or deleting, with the
tokens accepted or rejected."""

from __future__ import annotations

import json

import pytest

from tests.orphans.support import RAILWAY_TOKEN, STATSIG_KEY, SUPABASE_TOKEN, run_process
from tests.orphans.test_orphans_sandbox import seed

SECRETS = (RAILWAY_TOKEN, SUPABASE_TOKEN, STATSIG_KEY)


def test_exit_1_when_orphans_are_found_and_0_once_they_are_deleted(fleet):
    seed(fleet)

    found = run_process(fleet.arguments("--format", "markdown"), fleet.environ())
    deleted = run_process(fleet.arguments("--delete", "--yes", "--format", "markdown"), fleet.environ())
    after = run_process(fleet.arguments("--format", "markdown"), fleet.environ())

    assert (found.exit_code, found.stderr) == (1, "")
    assert found.stdout.startswith("| vendor | object | name | id | age | monthly | why |\n")
    assert (deleted.exit_code, deleted.stderr) == (0, "")
    assert (after.exit_code, after.stdout.splitlines()[0]) == (0, "No orphans.")


def test_delete_run_by_a_pipe_without_yes_refuses(fleet):
    seed(fleet)

    result = run_process(fleet.arguments("--delete"), fleet.environ())

    assert result.exit_code == 2
    assert result.stderr.endswith(
        'nothing deleted: --delete deletes only with --yes, or after "yes" is typed at a terminal\n'
    )
    assert fleet.railway.journal_count(mutations_only=True) == 0


@pytest.mark.parametrize("fmt", ["table", "markdown", "json"])
def test_no_credential_is_ever_printed_reporting_or_deleting(fleet, fmt):
    seed(fleet)
    environ = fleet.environ()

    outputs = [
        run_process(fleet.arguments("--format", fmt), environ),
        run_process(fleet.arguments("--format", fmt, "--delete"), environ),
        run_process(fleet.arguments("--format", fmt, "--delete", "--yes"), environ),
    ]

    assert [result.exit_code for result in outputs] == [1, 2, 0]
    for result in outputs:
        for secret in SECRETS:
            assert secret not in result.stdout and secret not in result.stderr


def test_no_credential_is_printed_when_every_api_rejects_it(fleet):
    seed(fleet)
    rejected = {
        **fleet.environ(),
        "RAILWAY_API_TOKEN": "rw-rejected-token-93d1",
        "SUPABASE_ACCESS_TOKEN": "sb-rejected-token-5e72",
        "STATSIG_CONSOLE_API_KEY": "st-rejected-key-11ab",
    }

    result = run_process(fleet.arguments("--format", "json"), rejected)

    assert result.exit_code == 2
    assert [line.split(":")[1].strip() for line in result.stderr.splitlines()] == [
        "Railway could not be checked",
        "Supabase could not be checked",
        "Statsig could not be checked",
    ]
    assert json.loads(result.stdout)["orphans"] == []
    for secret in ("rw-rejected-token-93d1", "sb-rejected-token-5e72", "st-rejected-key-11ab", *SECRETS):
        assert secret not in result.stdout and secret not in result.stderr
