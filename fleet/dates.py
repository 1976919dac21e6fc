"""Reading dates and times as stagefleet accepts them: one parser for each, so the config, the CLI
and the janitor agree, on every Python stagefleet runs on.

Pure and standard-library only.
"""

import datetime as dt
import re

# How many days ahead an `expires` date is announced: the policy's warning (fleet/policy.py) and
# the janitor's notice to the owners (fleet/janitor.py) count the same days.
EXPIRY_WARNING_DAYS = 7

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


def read_timestamp(value: object) -> dt.datetime | None:
    """A date and time as an API sends it (text in ISO 8601, "Z" or an offset, in UTC when it has
    neither); None when absent or unreadable: an API's odd timestamp is no reason to fail."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def assume_utc(moment: dt.datetime) -> dt.datetime:
    """`moment` itself when it has a time zone, else the same wall time in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


# A length of time as the CLI takes it: whole numbers of weeks, days, hours, minutes and seconds,
# largest first ("24h", "7d", "1d12h", "90m").
_DURATION = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_DURATION_UNITS = ("weeks", "days", "hours", "minutes", "seconds")


def parse_duration(text: str) -> dt.timedelta:
    """`24h`, `7d`, `1d12h`, `90m`, `0s`: ValueError for anything else (no unit, a unit twice,
    units out of order, a sign, a fraction)."""
    match = _DURATION.fullmatch(text.strip())
    if not text.strip() or match is None:
        raise ValueError(f"not a duration such as 24h, 7d or 1d12h: {text!r}")
    return dt.timedelta(
        **{unit: int(value) for unit, value in zip(_DURATION_UNITS, match.groups(), strict=True) if value}
    )


def format_duration(delta: dt.timedelta) -> str:
    """The largest whole unit of a length of time: `3d`, `5h`, `42m`, `7s` (never negative)."""
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def exact_duration(delta: dt.timedelta) -> str:
    """A length of time in one unit that says it exactly: `24h`, `7d`, `90m`, `45s` (days from
    two days up; a day is said as `24h`)."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds and seconds % 86400 == 0 and seconds >= 2 * 86400:
        return f"{seconds // 86400}d"
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
