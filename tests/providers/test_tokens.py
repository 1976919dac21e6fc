"""AccessToken: a generated secret, made once, replaced when its keepers change; no API at all."""

from __future__ import annotations

import re

from pulumi.output import Unknown

from providers.tokens import AccessTokenProvider

PREFIX = "staging_dev1-alice"
KEEPERS = {"rotation": "2026-01-01"}


def inputs(**overrides: object) -> dict[str, object]:
    props: dict[str, object] = {"prefix": PREFIX, "keepers": KEEPERS}
    props.update(overrides)
    return AccessTokenProvider().check({}, props).inputs


def test_the_value_is_the_prefix_and_43_url_safe_characters() -> None:
    created = AccessTokenProvider().create(inputs())
    assert re.fullmatch(rf"{re.escape(PREFIX)}_[A-Za-z0-9_-]{{43}}", created.outs["value"])


def test_create_returns_every_input_and_the_value() -> None:
    created = AccessTokenProvider().create(inputs())
    assert created.outs == {"prefix": PREFIX, "keepers": KEEPERS, "value": created.outs["value"]}


def test_each_token_is_different() -> None:
    first, second = AccessTokenProvider().create(inputs()), AccessTokenProvider().create(inputs())
    assert first.outs["value"] != second.outs["value"] and first.id != second.id


def test_create_needs_no_configuration() -> None:
    assert AccessTokenProvider().create(inputs()).outs["value"].startswith(PREFIX)


def test_a_keeper_change_replaces_the_token() -> None:
    diff = AccessTokenProvider().diff("t", inputs(), inputs(keepers={"rotation": "2026-04-01"}))
    assert diff.replaces == ["keepers"]


def test_a_prefix_change_replaces_the_token() -> None:
    assert AccessTokenProvider().diff("t", inputs(), inputs(prefix="staging_other")).replaces == ["prefix"]


def test_an_unknown_keeper_replaces_the_token() -> None:
    diff = AccessTokenProvider().diff("t", inputs(), inputs(keepers={"rotation": Unknown()}))
    assert diff.replaces == ["keepers"]


def test_unchanged_keepers_keep_the_token() -> None:
    created = AccessTokenProvider().create(inputs())
    diff = AccessTokenProvider().diff(created.id, created.outs, inputs())
    assert (diff.changes, diff.replaces) == (False, [])


def test_keepers_default_to_an_empty_map() -> None:
    assert AccessTokenProvider().check({}, {"prefix": PREFIX}).inputs["keepers"] == {}


def test_read_returns_the_recorded_token() -> None:
    created = AccessTokenProvider().create(inputs())
    read = AccessTokenProvider().read(created.id, {**created.outs, "__provider": "blob"})
    assert (read.id, read.outs) == (created.id, created.outs)


def test_update_keeps_the_value() -> None:
    created = AccessTokenProvider().create(inputs())
    assert AccessTokenProvider().update(created.id, created.outs, inputs()).outs == created.outs


def test_check_rejects_a_non_string_keeper() -> None:
    [failure] = AccessTokenProvider().check({}, {"prefix": PREFIX, "keepers": {"days": 90}}).failures
    assert failure.property == "keepers"


def test_check_requires_a_prefix() -> None:
    [failure] = AccessTokenProvider().check({}, {"keepers": KEEPERS}).failures
    assert failure.property == "prefix"
