"""The catalog (the team wiki table) and the table renderers."""

from __future__ import annotations

import pytest

from fleet import catalog, tables
from tests.unit.fleet_support import fleet_config, spec_of, staging_spec

HEADER = "| environment | kind | URL | database | purpose | owner | branch | expires | when idle | monthly cost |\n"
RULE = "| --- | --- | --- | --- | --- | --- | --- | --- | --- | ---: |\n"


def test_the_catalog_from_config_alone_shows_pending_urls():
    markdown = catalog.catalog_markdown(spec_of(fleet_config()))

    assert markdown == (
        HEADER
        + RULE
        + "| main | shared | pending | dedicated | Latest main | platform | main | — | stays up | $80.00 |\n"
        + "| dev1-alice | developer | pending | dedicated | Payments | alice@gatewayz.ai | feature/alice | 2027-01-31 | sleeps | $30.00 |\n"
        + "| qa | team | pending | branch (main) | — | qa | release | — | stays up | $29.73 |\n"
        + "| payments | team | pending | shared (main) | — | — | feature/payment-v2 | — | stays up | $20.00 |\n"
        + "| legacy | team | pending | external | — | — | legacy | — | stays up | $20.00 |\n"
        + "\n5 environments, estimated $179.73 a month in total.\n"
    )


def test_deployed_urls_show_the_first_services_url_in_config_order():
    urls = {
        # the order of a stack output's keys is not the config's: api comes first in config
        "main": {"web": "https://main-web.up.railway.app", "api": "https://main-api.up.railway.app"},
        # a service without a domain has no URL: the next one's is shown
        "dev1-alice": {"web": "https://alice-web.up.railway.app"},
        "qa": {},
        "payments": "https://payments.example.com",  # an environment's URL given directly
    }

    rows = catalog.catalog_rows(spec_of(fleet_config()), urls)

    assert [row.url for row in rows] == [
        "https://main-api.up.railway.app",
        "https://alice-web.up.railway.app",
        catalog.NO_URL,
        "https://payments.example.com",
        catalog.PENDING,  # legacy is not in the outputs: not deployed yet
    ]


def test_the_staging_catalog_with_outputs():
    outputs = {
        "environments": {
            name: {
                "kind": "x",
                "urls": {"api": f"https://{name}-api.up.railway.app", "web": f"https://{name}-web.up.railway.app"},
            }
            for name in ("main", "dev1-alice", "dev2-bob", "dev3-charlie", "payments")
        },
        "accessTokens": "[secret]",
    }

    rows = catalog.catalog_rows(staging_spec(), catalog.urls_from_outputs(outputs))

    assert rows[4].cells() == [
        "payments",
        "team",
        "https://payments-api.up.railway.app",
        "shared (main)",
        "Payments team integration",
        "payments",
        "feature/payment-v2",
        "—",
        "stays up",
        "$20.00",
    ]
    assert [str(row.monthly_cost) for row in rows] == ["35.00", "30.00", "30.00", "29.73", "20.00"]


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        ([], "expected the JSON object `pulumi stack output --json` prints"),
        ({"catalog": "..."}, "no `environments` output: is it the output of the fleet stack?"),
        ({"environments": {"main": []}}, "environments.main is not an object"),
        ({"environments": {"main": {"urls": ["x"]}}}, "environments.main.urls is not an object"),
    ],
)
def test_outputs_that_are_not_a_fleet_stacks_are_refused(outputs, message):
    with pytest.raises(ValueError) as raised:
        catalog.urls_from_outputs(outputs)
    assert str(raised.value) == message


def test_the_catalog_as_json():
    document = catalog.render_json(catalog.catalog_rows(spec_of(fleet_config()), {"main": {"api": "https://m"}}))

    assert document["totalMonthlyCostUsd"] == 179.73
    assert document["environments"][0] == {
        "environment": "main",
        "kind": "shared",
        "url": "https://m",
        "database": "dedicated",
        "purpose": "Latest main",
        "owner": "platform",
        "branch": "main",
        "expires": None,
        "sleepsWhenIdle": False,
        "readiness": None,
        "monthlyCostUsd": 80.0,
    }
    assert document["environments"][3]["url"] is None  # pending
    assert document["environments"][3]["owner"] is None


def test_text_that_would_break_a_markdown_table_is_escaped():
    config = fleet_config()
    config["stagefleet:environments"][0]["purpose"] = "a | b\nc"

    markdown = catalog.catalog_markdown(spec_of(config))

    assert "| a \\| b c |" in markdown


def test_the_terminal_table_aligns_every_column():
    text = catalog.render_table(catalog.catalog_rows(spec_of(fleet_config())))
    lines = text.splitlines()

    assert lines[0].split() == [
        "environment",
        "kind",
        "URL",
        "database",
        "purpose",
        "owner",
        "branch",
        "expires",
        "when",
        "idle",
        "monthly",
        "cost",
    ]
    assert set(lines[1]) == {"-", " "}
    # every column starts at the same offset on every line
    assert lines[2].index("shared") == lines[3].index("developer") == lines[0].index("kind")
    # money is right-aligned
    assert {len(line) for line in lines[2:7]} == {len(lines[0])}
    assert lines[-1] == "5 environments, estimated $179.73 a month in total."


def test_the_when_idle_column_follows_the_environments_sleep_setting():
    config = fleet_config()
    config["stagefleet:environments"][0]["sleepWhenIdle"] = True  # a shared environment that sleeps
    config["stagefleet:environments"][1]["sleepWhenIdle"] = False  # a developer's that stays up

    rows = catalog.catalog_rows(spec_of(config))

    assert [row.cells()[8] for row in rows] == ["sleeps", "stays up", "stays up", "stays up", "stays up"]
    assert [row.as_json()["sleepsWhenIdle"] for row in rows] == [True, False, False, False, False]


STATUS = {
    "stack": "staging",
    "healthy": False,
    "environments": {
        "main": {
            "verdict": "healthy",
            "services": {"api": {"url": "https://main-api.up.railway.app"}, "web": {"url": None}},
        },
        "dev1-alice": {"verdict": "failed", "services": {"api": {"url": "https://alice-api.up.railway.app"}}},
        "qa": {"verdict": "waiting", "services": {"api": {"url": "https://qa-api.up.railway.app"}}},
    },
}


def test_a_status_puts_each_environments_readiness_after_its_url():
    urls, readiness = catalog.from_status(STATUS)

    rows = catalog.catalog_rows(spec_of(fleet_config()), urls, readiness)

    assert [row.cells()[2] for row in rows] == [
        "https://main-api.up.railway.app (ready)",
        "https://alice-api.up.railway.app (failed)",
        "https://qa-api.up.railway.app (not ready)",
        "pending",  # payments and legacy are not in the status
        "pending",
    ]
    assert [row.as_json()["readiness"] for row in rows] == ["healthy", "failed", "waiting", None, None]
    assert rows[0].as_json()["url"] == "https://main-api.up.railway.app"


def test_readiness_without_urls_follows_the_pending_url():
    rows = catalog.catalog_rows(spec_of(fleet_config()), readiness={"main": "waiting"})

    assert rows[0].cells()[2] == "pending (not ready)"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"environments": []}, "expected the JSON `python -m fleet status --format json` prints"),
        (
            {"environments": {"main": {"verdict": "fine", "services": {}}}},
            "environments.main: expected its services and a verdict (healthy, failed, waiting)",
        ),
    ],
)
def test_a_document_that_is_not_a_status_is_refused(document, message):
    with pytest.raises(ValueError) as raised:
        catalog.from_status(document)
    assert str(raised.value) == message


def test_the_catalog_does_not_depend_on_the_date():
    # The stack output changes only when the fleet does, not every day.
    spec = staging_spec()
    assert catalog.catalog_markdown(spec) == catalog.catalog_markdown(spec)
    assert "days" not in catalog.catalog_markdown(spec)


# --- tables ---------------------------------------------------------------------------------------

COLUMNS = [tables.Column("name"), tables.Column("amount", "right")]


def test_markdown_table_with_alignment_and_footer():
    assert tables.markdown(COLUMNS, [["a", "$1.00"], ["bb", "$10.00"]], [["total", "$11.00"]]) == (
        "| name | amount |\n| --- | ---: |\n| a | $1.00 |\n| bb | $10.00 |\n| total | $11.00 |\n"
    )


def test_aligned_table_pads_rules_and_right_aligns():
    assert tables.aligned(COLUMNS, [["a", "$1.00"], ["bb", "$10.00"]], [["total", "$11.00"]]) == (
        "name   amount\n-----  ------\na       $1.00\nbb     $10.00\n-----  ------\ntotal  $11.00\n"
    )


def test_a_row_of_the_wrong_width_is_a_bug():
    with pytest.raises(ValueError):
        tables.markdown(COLUMNS, [["only one"]])
