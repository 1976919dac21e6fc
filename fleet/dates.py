"""Reading dates and times as stagefleet accepts them: one parser for each, so the config, the CLI
and the janitor agree, on every Python stagefleet runs on.

Pure and standard-library only.
"""

import datetime as dt
import re

# A calendar date as the config and --today take it: YYYY-MM-DD, nothing else ISO 8601 allows.
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# A "Z" (UTC) right after the time of a date and time: "...T09:30:00Z", "...T0930Z", "...T09Z".
_ZULU_AFTER_TIME = re.compile(r"[T ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?Z\Z")


def parse_date(text: str) -> dt.date:
    """A YYYY-MM-DD calendar date. ValueError for any other text, or a day the calendar lacks."""
    if not ISO_DATE.fullmatch(text):
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}")
    return dt.date.fromisoformat(text)


def parse_timestamp(text: str) -> dt.datetime:
    """An ISO 8601 date and time, as `pulumi stack ls --json` and `gh pr list --json` print them
    ("2026-11-25T08:00:00.000Z"); without an offset it is taken as UTC. ValueError otherwise."""
    # Python 3.10's fromisoformat reads no "Z" (3.11's does, as +00:00): spell it as that offset,
    # which every version reads. Only after a time: "2026-11-25Z" is no date and time on any.
    if _ZULU_AFTER_TIME.search(text):
        text = text[:-1] + "+00:00"
    return assume_utc(dt.datetime.fromisoformat(text))


def assume_utc(moment: dt.datetime) -> dt.datetime:
    """`moment` itself when it has a time zone, else the same wall time in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)
