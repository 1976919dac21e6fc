"""Production hosts: the hostnames listed in stagefleet:policy.productionHosts, and which hosts a
variable's value points at, so that no pull request environment writes to production.
"""

import re
from collections.abc import Collection
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator

from fleet.config.fields import Text
from fleet.config.problems import config_error
from fleet.wording import quote

_HOST_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*")


def _hostname(value: str) -> str:
    """A hostname of stagefleet:policy.productionHosts, lowercased (DNS names ignore case)."""
    if "://" in value:
        try:
            host = urlsplit(value).hostname
        except ValueError:
            host = None
        hint = f"give the hostname only, e.g. {quote(host)}" if host else "give the hostname only"
        raise config_error("hostname", f"{quote(value)} is a URL, not a hostname", hint=hint)
    if value.startswith("*."):
        raise config_error(
            "hostname",
            f"{quote(value)} is a wildcard",
            hint=f"list {quote(value[2:])}: its subdomains count too",
        )
    host = value.lower()
    host = host[:-1] if host.endswith(".") else host
    if len(host) > 253 or not _HOSTNAME.fullmatch(host):
        raise config_error(
            "hostname",
            f"{quote(value)} is not a hostname",
            hint="e.g. api.gatewayz.ai (no scheme, port or path); subdomains of a listed host count too",
        )
    return host


Hostname = Annotated[Text, AfterValidator(_hostname)]

_HOST_TOKEN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


def hosts_in(value: str) -> list[str]:
    """Every hostname a variable's value may point at: URL hosts (`https://api.x.io/v1`,
    `postgres://user:pw@db.x.io:5432/app`) and bare hostnames (`api.x.io`, `api.x.io:443`, lists).

    Lowercased. The domain of an e-mail address (`help@x.io`, outside a URL) is not a host."""
    text = value.lower()
    hosts: list[str] = []
    for match in _HOST_TOKEN.finditer(text):
        start = match.start()
        if text.startswith("://", match.end()):
            continue  # a URL scheme
        if start > 0 and text[start - 1] == "@":
            word_start = max(text.rfind(c, 0, start) for c in " \t\n,;\"'") + 1
            if "://" not in text[word_start:start]:
                continue  # an e-mail address
        hosts.append(match.group())
    return hosts


def production_host_in(value: str, production_hosts: Collection[str]) -> str | None:
    """The listed production host `value` points at (the host itself or a subdomain), or None."""
    listed = [host.lower().rstrip(".") for host in production_hosts]
    for host in hosts_in(value):
        for production in listed:
            if host == production or host.endswith("." + production):
                return production
    return None
