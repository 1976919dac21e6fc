"""Every relative link in the README and docs/ leads somewhere: the file exists and, when the link
names a section, the section does (GitHub's anchors: the heading in lower case, punctuation
dropped, spaces as hyphens)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.test_examples import DOCUMENTS, REPO

LINK = re.compile(r"\[[^\]]+\]\((?P<target>[^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (?P<title>.+)$", re.MULTILINE)


def anchor(title: str) -> str:
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def anchors(document: Path) -> set[str]:
    return {anchor(match["title"]) for match in HEADING.finditer(document.read_text(encoding="utf-8"))}


def relative_links(document: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", document.read_text(encoding="utf-8"), flags=re.DOTALL)
    return [m["target"] for m in LINK.finditer(text) if not re.match(r"[a-z]+:", m["target"])]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: str(d.relative_to(REPO)))
def test_every_relative_link_leads_to_a_file_and_section_that_exist(document: Path) -> None:
    broken = []
    for target in relative_links(document):
        path, _, section = target.partition("#")
        destination = (document.parent / path).resolve() if path else document
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif section and destination.suffix == ".md" and section not in anchors(destination):
            broken.append(f"{target}: no such section")
    assert broken == []


def test_an_anchor_is_the_heading_as_github_spells_it() -> None:
    assert anchor("Is it up? `python -m fleet status`") == "is-it-up-python--m-fleet-status"
    assert anchor("The fleet's rules, catalog and costs") == "the-fleets-rules-catalog-and-costs"
