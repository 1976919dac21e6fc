"""What `python -m fleet validate` refuses in a stack file, each with its exact message: credentials in
plain text, Railway ids that are not UUIDs, an empty file, an unknown top-level key, and a stack
with no file (the stacks that do exist are listed)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from fleet.config.credentials import credential_kind
from tests import fleet_command
from tests.unit.fleet_support import REPO

TODAY = ("--today", "2026-11-26")
PROJECT_ID = "0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01"
BASE_ID = "7d3e1f90-52c4-4b8a-a6d1-2f9e8c7b4a10"
API_ID = "5b1e9c3a-7f24-4e6b-b8d0-1a2c3e4f5a60"

# Credential-shaped values, assembled here so that no scanner mistakes this file for a leak.
STRIPE_KEY = "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc"
SUPABASE_TOKEN = "sbp_" + "0123456789abcdef" * 2 + "01234567"
RAILWAY_TOKEN = "6b1f0c2e-9d3a-4e5b-8c7d-" + "1a2b3c4d5e6f"


def jwt(claims: dict) -> str:
    def part(document: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJlLW9mLWEtdGVzdA"


def stack_text(extra: str = "", *, project_id: str = PROJECT_ID, base_id: str = BASE_ID, api_id: str = API_ID) -> str:
    return f"""\
config:
  stagefleet:railway:
    projectId: {project_id}
    baseEnvironmentId: {base_id}
    services:
      - {{name: api, id: {api_id}, repository: gatewayz/gatewayz-backend}}
  stagefleet:supabase: {{organizationSlug: gatewayz}}
  stagefleet:environments:
    - {{name: main, kind: shared, branch: main, database: {{strategy: dedicated}}}}
{extra}"""


def validate(project: Path, text: str, stack: str = "staging") -> subprocess.CompletedProcess[str]:
    (project / f"Pulumi.{stack}.yaml").write_text(text, encoding="utf-8")
    return fleet_command.run(project, "validate", "--stack", stack, *TODAY)


def refused(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    return result.stderr.splitlines()


# --- credentials in plain text -------------------------------------------------------------------


def token_hint(key: str, variable: str) -> str:
    return (
        f"  hint: encrypt it: pulumi config set --secret stagefleet:{key} <value> (and revoke this one: it is in "
        f"the file's history), or leave the key out and set {variable} in the environment"
    )


def test_a_plain_railway_token_is_refused(tmp_path):
    lines = refused(validate(tmp_path, stack_text(f"  stagefleet:railwayToken: {RAILWAY_TOKEN}\n")))

    assert lines == [
        "stagefleet:railwayToken: a credential in plain text: it must be a secret ({secure: ...})",
        token_hint("railwayToken", "RAILWAY_API_TOKEN"),
        "error: stack staging is invalid: 1 problem in Pulumi.staging.yaml",
    ]


def test_a_plain_supabase_access_token_is_refused(tmp_path):
    lines = refused(validate(tmp_path, stack_text(f"  stagefleet:supabaseAccessToken: {SUPABASE_TOKEN}\n")))

    assert lines[:2] == [
        "stagefleet:supabaseAccessToken: a credential in plain text: it must be a secret ({secure: ...})",
        token_hint("supabaseAccessToken", "SUPABASE_ACCESS_TOKEN"),
    ]


def test_a_plain_statsig_console_key_is_refused(tmp_path):
    lines = refused(validate(tmp_path, stack_text("  stagefleet:statsigConsoleKey: console-abc\n")))

    assert lines[:2] == [
        "stagefleet:statsigConsoleKey: a credential in plain text: it must be a secret ({secure: ...})",
        token_hint("statsigConsoleKey", "STATSIG_CONSOLE_API_KEY"),
    ]


def test_encrypted_tokens_are_accepted(tmp_path):
    extra = "".join(
        f"  stagefleet:{key}:\n    secure: v1:bm9uY2U=:Y2lwaGVydGV4dA==\n"
        for key in ("railwayToken", "supabaseAccessToken", "statsigConsoleKey")
    )

    assert validate(tmp_path, stack_text(extra)).returncode == 0


def test_a_plain_key_of_an_external_database_is_refused(tmp_path):
    extra = (
        "    - {name: legacy, kind: team, branch: legacy, database: {strategy: external, "
        f"supabaseUrl: 'https://abc.supabase.co', supabaseKey: {jwt({'role': 'service_role'})}}}}}\n"
    )

    lines = refused(validate(tmp_path, stack_text(extra)))

    assert lines[:2] == [
        "stagefleet:environments[1].database.supabaseKey: a credential in plain text: it must be a secret "
        "({secure: ...})",
        "  hint: encrypt it: pulumi config set --secret --path 'stagefleet:environments[1].database.supabaseKey' "
        "<key> (and rotate this one: it is in the file's history)",
    ]


def test_no_refusal_shows_the_credential(tmp_path):
    extra = f"  stagefleet:railwayToken: {RAILWAY_TOKEN}\n  stagefleet:supabaseAccessToken: {SUPABASE_TOKEN}\n"

    result = validate(tmp_path, stack_text(extra))

    assert RAILWAY_TOKEN not in result.stderr and SUPABASE_TOKEN not in result.stderr


# --- credentials under variables -----------------------------------------------------------------

VARIABLE_HINT = (
    "  hint: remove it and rotate it (it stays in the file's history); set it on the base Railway environment "
    "instead, which every environment forks (stagefleet's own tokens: pulumi config set --secret)"
)


def test_a_stripe_secret_key_under_variables_is_refused_naming_the_variable(tmp_path):
    extra = (
        "    - {name: shop, kind: team, branch: shop, database: {strategy: shared, source: main}, "
        f"variables: {{STRIPE_SECRET_KEY: {STRIPE_KEY}}}}}\n"
    )

    lines = refused(validate(tmp_path, stack_text(extra)))

    assert lines == [
        "stagefleet:environments[1].variables.STRIPE_SECRET_KEY: looks like a Stripe secret key: variables are "
        "written to the stack file in plain text",
        VARIABLE_HINT,
        "error: stack staging is invalid: 1 problem in Pulumi.staging.yaml",
    ]
    assert STRIPE_KEY not in "\n".join(lines)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (SUPABASE_TOKEN, "a Supabase access token"),
        (jwt({"role": "service_role", "iss": "supabase"}), "a JSON Web Token (a Supabase service_role key is one)"),
        ("postgres://app:hunter2@db.example.com:5432/app", "a URL with a password"),
    ],
    ids=["supabase-token", "service-role-jwt", "password-url"],
)
def test_other_credentials_under_defaults_variables_are_refused(tmp_path, value, kind):
    extra = f"  stagefleet:defaults:\n    variables:\n      SECRET_THING: '{value}'\n"

    lines = refused(validate(tmp_path, stack_text(extra)))

    assert lines[0] == (
        f"stagefleet:defaults.variables.SECRET_THING: looks like {kind}: variables are written to the stack file "
        "in plain text"
    )


def test_a_supabase_anon_key_under_variables_is_public_and_accepted(tmp_path):
    extra = f"  stagefleet:defaults:\n    variables:\n      NEXT_PUBLIC_SUPABASE_ANON_KEY: {jwt({'role': 'anon'})}\n"

    assert validate(tmp_path, stack_text(extra)).returncode == 0


def test_a_railway_reference_to_a_database_url_is_no_credential(tmp_path):
    extra = "  stagefleet:defaults:\n    variables:\n      DATABASE_URL: 'postgres://app:${{Postgres.PGPASSWORD}}@db:5432/app'\n"

    assert validate(tmp_path, stack_text(extra)).returncode == 0


# --- Railway ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "path", "hint"),
    [
        (
            "project_id",
            "stagefleet:railway.projectId",
            "the project's Settings page shows its Project ID; it is also in the dashboard URL, railway.com/project/<id>",
        ),
        (
            "base_id",
            "stagefleet:railway.baseEnvironmentId",
            "open the base environment in the dashboard: its id is the URL's environmentId=<id>",
        ),
        (
            "api_id",
            "stagefleet:railway.services[0].id",
            "open the service in the dashboard: its id is in the URL, railway.com/project/<project>/service/<id>",
        ),
    ],
)
def test_a_railway_id_that_is_not_a_uuid_is_refused_with_where_to_find_it(tmp_path, field, path, hint):
    lines = refused(validate(tmp_path, stack_text(**{field: "my-project"})))

    assert lines == [
        f'{path}: expected a Railway id, a UUID such as 0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01, got "my-project"',
        f"  hint: {hint}",
        "error: stack staging is invalid: 1 problem in Pulumi.staging.yaml",
    ]


# --- the file itself -----------------------------------------------------------------------------


def test_an_empty_file_is_named_empty(tmp_path):
    result = validate(tmp_path, "# nothing yet\n")

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {tmp_path / 'Pulumi.staging.yaml'}: the stack file is empty: it needs a `config:` mapping of the "
        "stagefleet: keys (start from the committed Pulumi.staging.yaml)\n"
    )


def test_a_misspelt_top_level_key_suggests_config(tmp_path):
    result = validate(tmp_path, stack_text().replace("config:", "configs:", 1))

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f'error: {tmp_path / "Pulumi.staging.yaml"}: unknown top-level key "configs": did you mean `config:`?\n'
    )


def test_an_unknown_top_level_key_lists_what_a_stack_file_has(tmp_path):
    result = validate(tmp_path, "stagefleet:railway: {}\n")

    assert result.stderr == (
        f'error: {tmp_path / "Pulumi.staging.yaml"}: unknown top-level key "stagefleet:railway": a stack file has '
        "config, encryptionsalt, secretsprovider, encryptedkey, environment\n"
    )


def test_pulumis_own_top_level_keys_are_accepted(tmp_path):
    text = "encryptionsalt: v1:c2FsdA==:v1:bm9uY2U=:Y2lwaGVy\nsecretsprovider: passphrase\n" + stack_text()

    assert validate(tmp_path, text).returncode == 0


def test_a_missing_stack_lists_the_stacks_that_exist(tmp_path):
    for name in ("Pulumi.staging.yaml", "Pulumi.pr.yaml", "Pulumi.sandbox.yaml"):
        shutil.copy(REPO / name, tmp_path / name)

    result = fleet_command.run(tmp_path, "validate", "--stack", "stagign")

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {tmp_path / 'Pulumi.stagign.yaml'}: no such stack file\n"
        "  hint: the stacks here are pr, sandbox, staging; did you mean --stack staging?\n"
    )


# --- the committed stack files -------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["staging", "sandbox", "pr"])
def test_the_committed_stack_files_validate(stack):
    result = fleet_command.run(REPO, "validate", "--stack", stack, *TODAY)

    assert (result.returncode, result.stdout.startswith("ok: ")) == (0, True), result.stderr


def test_a_plain_token_in_a_review_stack_is_refused(tmp_path):
    shutil.copy(REPO / "Pulumi.staging.yaml", tmp_path / "Pulumi.staging.yaml")
    template = (REPO / "Pulumi.pr.yaml").read_text(encoding="utf-8")

    lines = refused(validate(tmp_path, template + f"  stagefleet:railwayToken: {RAILWAY_TOKEN}\n", stack="pr"))

    assert lines[0] == "stagefleet:railwayToken: a credential in plain text: it must be a secret ({secure: ...})"


@pytest.mark.parametrize(
    "value",
    ["secret-santa", "console-log", "https://api.example.com/v1", "sk_live", "postgres://app@db:5432/app", "true"],
)
def test_ordinary_values_are_no_credentials(value):
    assert credential_kind(value) is None
