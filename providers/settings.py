"""Where the providers' credentials and API URLs come from.

Pulumi's dynamic-provider host calls `configure()` on each provider with the stack config (secrets
already decrypted, objects such as `stagefleet:railway` as their JSON text). Providers delegate to `configure()` here, which records it at module level,
because the provider object itself is pickled into the state and must hold nothing. Lookups fall
back to environment variables, and fail only when an API call needs the value: `check` and `diff`
(and so `pulumi preview`) work without credentials.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from providers.limits import DEFAULT_RAILWAY_PLAN, Plan, parse_railway_plan

__all__ = [
    "DEFAULT_RAILWAY_API_URL",
    "DEFAULT_STATSIG_API_URL",
    "DEFAULT_SUPABASE_API_URL",
    "LATE_ANSWER_GRACE_ENV",
    "LATE_ANSWER_GRACE_KEY",
    "EMULATED_LIMITS_ENV",
    "RAILWAY_PLAN_ENV",
    "RAILWAY_PLAN_KEY",
    "RAILWAY_API_URL_ENV",
    "RAILWAY_API_URL_KEY",
    "RAILWAY_TOKEN_ENV",
    "RAILWAY_TOKEN_KEY",
    "STATSIG_API_URL_ENV",
    "STATSIG_API_URL_KEY",
    "STATSIG_KEY_ENV",
    "STATSIG_KEY_KEY",
    "SUPABASE_API_URL_ENV",
    "SUPABASE_API_URL_KEY",
    "SUPABASE_TOKEN_ENV",
    "SUPABASE_TOKEN_KEY",
    "RailwaySettings",
    "SettingsError",
    "StatsigSettings",
    "SupabaseSettings",
    "configure",
    "late_answer_grace",
    "emulated_limits_scale",
    "railway_plan",
    "railway_settings",
    "setting",
    "statsig_settings",
    "supabase_settings",
    "with_source_param",
]

RAILWAY_TOKEN_KEY = "stagefleet:railwayToken"
RAILWAY_TOKEN_ENV = "RAILWAY_API_TOKEN"
RAILWAY_API_URL_KEY = "stagefleet:railwayApiUrl"
RAILWAY_API_URL_ENV = "RAILWAY_API_URL"
DEFAULT_RAILWAY_API_URL = "https://backboard.railway.com/graphql/v2"

# The Railway account's plan, for the API limits (providers.limits): `plan` in the
# `stagefleet:railway` object of the fleet stack. A review stack's provider host and
# `python -m fleet status` do not see that object: they read the environment variable.
RAILWAY_KEY = "stagefleet:railway"
RAILWAY_PLAN_KEY = "stagefleet:railway.plan"
RAILWAY_PLAN_ENV = "STAGEFLEET_RAILWAY_PLAN"

# For emulators only: pace against any API URL as if it were the real API, with every window of
# the documented limits divided by this time scale (bench/fleet_scale.py compresses an hour).
EMULATED_LIMITS_ENV = "STAGEFLEET_EMULATED_LIMITS"

SUPABASE_TOKEN_KEY = "stagefleet:supabaseAccessToken"
SUPABASE_TOKEN_ENV = "SUPABASE_ACCESS_TOKEN"
SUPABASE_API_URL_KEY = "stagefleet:supabaseApiUrl"
SUPABASE_API_URL_ENV = "SUPABASE_API_URL"
# The Management API's root: every path the client sends starts with /v1/.
DEFAULT_SUPABASE_API_URL = "https://api.supabase.com"

STATSIG_KEY_KEY = "stagefleet:statsigConsoleKey"
STATSIG_KEY_ENV = "STATSIG_CONSOLE_API_KEY"
STATSIG_API_URL_KEY = "stagefleet:statsigApiUrl"
STATSIG_API_URL_ENV = "STATSIG_API_URL"
# The Console API's root: every path the client sends starts with /console/v1/.
DEFAULT_STATSIG_API_URL = "https://statsigapi.net"

# Seconds a create whose answer was lost is looked for before it is sent again (providers.http's
# RetryPolicy.late_answer_grace; its default there).
LATE_ANSWER_GRACE_KEY = "stagefleet:lateAnswerGrace"
LATE_ANSWER_GRACE_ENV = "STAGEFLEET_LATE_ANSWER_GRACE"

# Railway's edge caps requests that carry no query string much harder than ones that do.
_RAILWAY_SOURCE_PARAM = ("source", "stagefleet")


class SettingsError(Exception):
    """A credential or URL the providers need is not configured."""


class _ConfigLike(Protocol):
    def get(self, key: str) -> Any: ...


_lock = threading.Lock()
_config: _ConfigLike | None = None


def configure(config: _ConfigLike | None) -> None:
    """Record the stack config (a `pulumi.dynamic.Config` or any mapping keyed
    "namespace:key"). The host calls every provider's `configure()` with the same config."""
    global _config
    with _lock:
        _config = config


def setting(config_key: str, env_var: str) -> str | None:
    """The stack config value for `config_key`, else the environment variable, else None.
    Blank values count as unset."""
    with _lock:
        config = _config
    value = config.get(config_key) if config is not None else None
    if value is None or (isinstance(value, str) and not value.strip()):
        value = os.environ.get(env_var)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def late_answer_grace(*, at_most: float) -> float | None:
    """The configured late-answer grace window in seconds (stack config, else environment), or
    None when neither sets it. Raises SettingsError naming the key for anything but a number of
    seconds from 0 to `at_most` (the deadline of a call: a longer window could never end)."""
    value = setting(LATE_ANSWER_GRACE_KEY, LATE_ANSWER_GRACE_ENV)
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds <= at_most:
        raise SettingsError(
            f"`{LATE_ANSWER_GRACE_KEY}` (or the environment variable `{LATE_ANSWER_GRACE_ENV}`) must be a number "
            f"of seconds from 0 to {at_most:g}, not {value!r}: how long a create whose answer was lost is "
            "looked for before it is sent again"
        )
    return seconds


def railway_plan() -> Plan:
    """The Railway plan whose API limits the clients keep to: `plan` of the stack config's
    `stagefleet:railway`, else STAGEFLEET_RAILWAY_PLAN, else Pro (providers.limits says why).
    A value that is no plan raises SettingsError naming where it came from."""
    with _lock:
        config = _config
    block = config.get(RAILWAY_KEY) if config is not None else None
    if isinstance(block, str):
        try:
            block = json.loads(block)
        except ValueError:
            block = None  # not this module's to judge: the program reports a malformed block
    value = block.get("plan") if isinstance(block, Mapping) else None
    where = f"`{RAILWAY_PLAN_KEY}`"
    if value is None or (isinstance(value, str) and not value.strip()):
        value, where = os.environ.get(RAILWAY_PLAN_ENV), f"the environment variable `{RAILWAY_PLAN_ENV}`"
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_RAILWAY_PLAN
    try:
        return parse_railway_plan(value)
    except ValueError as error:
        raise SettingsError(f"Railway plan in {where} is not valid: {error}") from None


def emulated_limits_scale() -> float | None:
    """STAGEFLEET_EMULATED_LIMITS as a time scale (at least 1), or None when unset."""
    text = os.environ.get(EMULATED_LIMITS_ENV, "").strip()
    if not text:
        return None
    try:
        scale = float(text)
    except ValueError:
        scale = math.nan
    if not (math.isfinite(scale) and scale >= 1):
        raise SettingsError(f"`{EMULATED_LIMITS_ENV}` must be a time scale of at least 1, not {text!r}")
    return scale


@dataclass(frozen=True)
class RailwaySettings:
    token: str = field(repr=False)
    api_url: str = DEFAULT_RAILWAY_API_URL
    plan: Plan = DEFAULT_RAILWAY_PLAN
    # STAGEFLEET_EMULATED_LIMITS (None: the documented limits apply on Railway's own host only).
    emulated_limits: float | None = None

    def __reduce__(self) -> Any:
        # Settings hold the token: never let them reach a pickle (the provider state).
        raise TypeError("RailwaySettings hold a credential and cannot be pickled")


def railway_settings() -> RailwaySettings:
    """Railway token and GraphQL URL (always with `?source=stagefleet`). Raises SettingsError
    naming both places the token can come from when neither has it."""
    token = setting(RAILWAY_TOKEN_KEY, RAILWAY_TOKEN_ENV)
    if token is None:
        raise SettingsError(
            "Railway API token is not set: set the stack config `stagefleet:railwayToken` "
            "(pulumi config set --secret stagefleet:railwayToken <token>) or the environment "
            "variable `RAILWAY_API_TOKEN`; use an account or workspace token (project tokens "
            "cannot create environments)"
        )
    api_url = setting(RAILWAY_API_URL_KEY, RAILWAY_API_URL_ENV) or DEFAULT_RAILWAY_API_URL
    return RailwaySettings(
        token=token,
        api_url=with_source_param(api_url),
        plan=railway_plan(),
        emulated_limits=emulated_limits_scale(),
    )


def with_source_param(url: str) -> str:
    """`url` with `source=stagefleet` merged into its query string."""
    name, value = _RAILWAY_SOURCE_PARAM
    return str(httpx.URL(url).copy_merge_params({name: value}))


@dataclass(frozen=True)
class SupabaseSettings:
    token: str = field(repr=False)
    api_url: str = DEFAULT_SUPABASE_API_URL
    emulated_limits: float | None = None

    def __reduce__(self) -> Any:
        # Settings hold the token: never let them reach a pickle (the provider state).
        raise TypeError("SupabaseSettings hold a credential and cannot be pickled")


def supabase_settings() -> SupabaseSettings:
    """Supabase Management API access token and root URL. The URL is normalised to the API root
    (no trailing slash, no `/v1`: the client's paths carry it), so both
    "https://api.supabase.com" and "https://api.supabase.com/v1/" work. Raises SettingsError
    naming both places the token can come from when neither has it."""
    token = setting(SUPABASE_TOKEN_KEY, SUPABASE_TOKEN_ENV)
    if token is None:
        raise SettingsError(
            "Supabase access token is not set: set the stack config `stagefleet:supabaseAccessToken` "
            "(pulumi config set --secret stagefleet:supabaseAccessToken sbp_...) or the environment "
            "variable `SUPABASE_ACCESS_TOKEN`; use a personal access token that can manage the "
            "organization's projects"
        )
    api_url = setting(SUPABASE_API_URL_KEY, SUPABASE_API_URL_ENV) or DEFAULT_SUPABASE_API_URL
    return SupabaseSettings(token=token, api_url=_api_root(api_url), emulated_limits=emulated_limits_scale())


def _api_root(url: str, suffix: str = "/v1") -> str:
    return url.rstrip("/").removesuffix(suffix)


@dataclass(frozen=True)
class StatsigSettings:
    api_key: str = field(repr=False)
    api_url: str = DEFAULT_STATSIG_API_URL
    emulated_limits: float | None = None

    def __reduce__(self) -> Any:
        # Settings hold the Console API key: never let them reach a pickle (the provider state).
        raise TypeError("StatsigSettings hold a credential and cannot be pickled")


def statsig_settings() -> StatsigSettings:
    """Statsig Console API key and root URL. The URL is normalised to the API root (no trailing
    slash, no `/console/v1`: the client's paths carry it), so both "https://statsigapi.net" and
    "https://statsigapi.net/console/v1/" work. Raises SettingsError naming both places the key
    can come from when neither has it."""
    api_key = setting(STATSIG_KEY_KEY, STATSIG_KEY_ENV)
    if api_key is None:
        raise SettingsError(
            "Statsig Console API key is not set: set the stack config `stagefleet:statsigConsoleKey` "
            "(pulumi config set --secret stagefleet:statsigConsoleKey console-...) or the environment "
            "variable `STATSIG_CONSOLE_API_KEY`; use a Console API key (Project Settings > API Keys), "
            "not a server or client SDK key"
        )
    api_url = setting(STATSIG_API_URL_KEY, STATSIG_API_URL_ENV) or DEFAULT_STATSIG_API_URL
    return StatsigSettings(
        api_key=api_key, api_url=_api_root(api_url, "/console/v1"), emulated_limits=emulated_limits_scale()
    )
