"""Credentials where they must not be: in plain text in a stack file.

Two checks. `credential_kind` recognises a value that is a well-known kind of credential (a Stripe
secret key, a Supabase access token, a service-role JWT, a password inside a URL, ...): the model
rejects one under any `variables`, in the program as in `validate`, because variables are written
to the stack file in plain text. `plaintext_credentials` reads a stack file as written (before
Pulumi decrypts anything): stagefleet's own tokens and an external database's key must be
`{secure: ...}` there. The program never sees the file, only decrypted values, so only the CLI
runs that one.

`credential_sources` says where the providers will find each token the stack needs (the stack
config wins over the environment variable, as in providers/settings.py), for `fleet credentials`.

Messages name the key and the kind of credential, never the value.
"""

import base64
import binascii
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleet.config.problems import NAMESPACE, ConfigProblem, Loc, config_path

# (what it is, how it looks). Prefixes are the vendors' published formats; lengths keep ordinary
# words that share a prefix ("secret-santa") out.
_CREDENTIALS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a Stripe secret key", re.compile(r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{10,}")),
    ("a Supabase access token", re.compile(r"\bsbp_[0-9A-Za-z]{20,}")),
    ("a Supabase secret key", re.compile(r"\bsb_secret_[0-9A-Za-z_-]{10,}")),
    ("a Statsig Console API key", re.compile(r"\bconsole-[0-9A-Za-z]{20,}")),
    ("a Statsig server secret key", re.compile(r"\bsecret-[0-9A-Za-z]{20,}")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[0-9A-Za-z]{30,}|github_pat_[0-9A-Za-z_]{30,})")),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{10,}")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    # user:password@host; a Railway reference (${{...}}) is not a password.
    ("a URL with a password", re.compile(r"://[^/\s:@]+:(?!\$\{\{)[^/\s@]+@")),
)
_JWT = re.compile(r"\beyJ[0-9A-Za-z_-]{8,}\.(eyJ[0-9A-Za-z_-]{8,})\.[0-9A-Za-z_-]{8,}")


def credential_kind(value: str) -> str | None:
    """What kind of credential `value` contains, or None. A Supabase anon key (a JWT whose role
    is "anon") is public by design and not one."""
    for kind, pattern in _CREDENTIALS:
        if pattern.search(value):
            return kind
    match = _JWT.search(value)
    if match and _jwt_role(match.group(1)) != "anon":
        return "a JSON Web Token (a Supabase service_role key is one)"
    return None


def _jwt_role(payload: str) -> object:
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        return None
    return claims.get("role") if isinstance(claims, dict) else None


# stagefleet's own credentials, top level: key -> the environment variable that may hold it instead.
TOKEN_KEYS: Mapping[str, str] = {
    "railwayToken": "RAILWAY_API_TOKEN",
    "supabaseAccessToken": "SUPABASE_ACCESS_TOKEN",
    "statsigConsoleKey": "STATSIG_CONSOLE_API_KEY",
}


def plaintext_credentials(config: Mapping[str, Any]) -> list[ConfigProblem]:
    """Every credential a stack file's `config:` (as written, before decryption) holds in plain
    text: stagefleet's tokens, and the `supabaseKey` of external databases (fleet environments,
    defaults, a review stack's database)."""
    values = {
        str(key).partition(":")[2]: value for key, value in config.items() if str(key).startswith(f"{NAMESPACE}:")
    }
    found: list[ConfigProblem] = []
    for key, variable in TOKEN_KEYS.items():
        if isinstance(values.get(key), str) and values[key]:
            found.append(
                _plain(
                    (key,),
                    f"encrypt it: pulumi config set --secret {NAMESPACE}:{key} <value> (and revoke this one: it "
                    f"is in the file's history), or leave the key out and set {variable} in the environment",
                )
            )
    for loc, database in _databases(values):
        if isinstance(database, Mapping) and isinstance(database.get("supabaseKey"), str):
            path = config_path((*loc, "supabaseKey"))
            found.append(
                _plain(
                    (*loc, "supabaseKey"),
                    f"encrypt it: pulumi config set --secret --path '{path}' <key> (and rotate this one: it is "
                    "in the file's history)",
                )
            )
    return found


def _plain(loc: Loc, hint: str) -> ConfigProblem:
    return ConfigProblem(config_path(loc), "a credential in plain text: it must be a secret ({secure: ...})", hint=hint)


def _databases(values: Mapping[str, Any]) -> list[tuple[Loc, Any]]:
    found: list[tuple[Loc, Any]] = []
    for top in ("defaults", "review"):
        section = values.get(top)
        if isinstance(section, Mapping):
            found.append(((top, "database"), section.get("database")))
    environments = values.get("environments")
    if isinstance(environments, list):
        for index, environment in enumerate(environments):
            if isinstance(environment, Mapping):
                found.append((("environments", index, "database"), environment.get("database")))
    return found


@dataclass(frozen=True)
class CredentialSource:
    """Where the providers will find one of stagefleet's tokens, as providers/settings.py looks:
    the stack config first (a blank value counts as unset), else the environment variable."""

    vendor: str
    key: str
    variable: str
    needed_for: str | None  # why the stack needs it; None: it does not
    source: str | None  # "config", "environment", or None: nowhere

    def line(self) -> str:
        if self.needed_for is None:
            return f"{self.vendor}: not needed ({NAMESPACE}:{self.key} and {self.variable} unused)"
        if self.source == "config":
            also = f"; {self.variable} is set too and ignored" if _set(os.environ.get(self.variable)) else ""
            return f"{self.vendor}: stack config {NAMESPACE}:{self.key} (wins over {self.variable}{also})"
        if self.source == "environment":
            return f"{self.vendor}: environment variable {self.variable}"
        return (
            f"{self.vendor}: missing, needed for {self.needed_for}: set {self.variable}, or pulumi config set "
            f"--secret {NAMESPACE}:{self.key} <token>"
        )


VENDORS: Mapping[str, str] = {
    "railwayToken": "Railway",
    "supabaseAccessToken": "Supabase",
    "statsigConsoleKey": "Statsig",
}


def credential_sources(config: Mapping[str, Any], needed: Mapping[str, str | None]) -> list[CredentialSource]:
    """For each of stagefleet's tokens (`needed`: key -> why the stack needs it, or None), where it
    comes from. `config` is the stack file's config as written."""
    sources = []
    for key, variable in TOKEN_KEYS.items():
        value = config.get(f"{NAMESPACE}:{key}")
        if _set(value) or (isinstance(value, Mapping) and _set(value.get("secure"))):
            source: str | None = "config"
        elif _set(os.environ.get(variable)):
            source = "environment"
        else:
            source = None
        sources.append(CredentialSource(VENDORS[key], key, variable, needed.get(key), source))
    return sources


def _set(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())
