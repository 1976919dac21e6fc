"""The team wiki table: which environment is for what, where it runs and who owns it.

Built from config alone (URLs shown as "pending") or with the URLs a deployment reported, by the
same function for the `catalog` stack output and for the CLI, so the two never disagree.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PENDING = "pending"


@dataclass(frozen=True)
class CatalogRow:
    environment: str
    url: str
    database: str
    purpose: str
    owner: str


def catalog_rows(spec, urls: Mapping[str, str] | None = None) -> list[CatalogRow]:
    """One row per environment, in config order. `urls` maps environment name to its public URL."""
    urls = urls or {}
    rows = []
    for env in spec.environments:
        database = spec.database_for(env)
        described = database.strategy if not database.source else f"{database.strategy} ({database.source})"
        rows.append(
            CatalogRow(
                environment=env.name,
                url=urls.get(env.name) or PENDING,
                database=described,
                purpose=env.purpose or "",
                owner=env.owner or "",
            )
        )
    return rows


def _cell(text: str) -> str:
    # A pipe or newline inside a cell would break the markdown table.
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(rows: list[CatalogRow]) -> str:
    header = "| environment | URL | database | purpose | owner |"
    rule = "| --- | --- | --- | --- | --- |"
    lines = [header, rule]
    for row in rows:
        cells = (row.environment, row.url, row.database, row.purpose, row.owner)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"
