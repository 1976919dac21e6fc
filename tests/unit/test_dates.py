"""fleet.dates: the one reader of dates and of dates and times in fleet/, the same on every Python
stagefleet runs on (3.10's datetime.fromisoformat reads no "Z")."""

import datetime as dt
import re
import types
from pathlib import Path

import pytest

from fleet import dates, janitor

UTC = dt.UTC
FLEET = Path(__file__).resolve().parents[2] / "fleet"


class _Python310Datetime(dt.datetime):
    """datetime as Python 3.10 has it: fromisoformat refuses a "Z" suffix."""

    @classmethod
    def fromisoformat(cls, text: str) -> dt.datetime:
        if text.endswith("Z"):
            raise ValueError(f"Invalid isoformat string: {text!r}")
        return dt.datetime.fromisoformat(text)


@pytest.fixture
def python_310(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "dt", types.SimpleNamespace(datetime=_Python310Datetime, date=dt.date, timezone=UTC))


# As `pulumi stack ls --json` and `gh pr list --json` print them.
ZULU = [
    ("2026-11-25T08:00:00.000Z", dt.datetime(2026, 11, 25, 8, tzinfo=UTC)),
    ("2026-11-25T09:58:12Z", dt.datetime(2026, 11, 25, 9, 58, 12, tzinfo=UTC)),
    ("2026-11-25T09:58Z", dt.datetime(2026, 11, 25, 9, 58, tzinfo=UTC)),
    ("2026-11-25 09:58:12.250000Z", dt.datetime(2026, 11, 25, 9, 58, 12, 250000, tzinfo=UTC)),
]


@pytest.mark.parametrize("text, moment", ZULU)
def test_a_z_suffix_is_utc(text, moment):
    assert dates.parse_timestamp(text) == moment
    assert dates.parse_timestamp(text).utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("text, moment", ZULU)
def test_a_z_suffix_is_read_where_fromisoformat_refuses_it(python_310, text, moment):
    assert dates.parse_timestamp(text) == moment


def test_the_janitor_reads_its_inputs_timestamps_where_fromisoformat_refuses_a_z(python_310):
    stacks = janitor.parse_stacks([{"name": "pr-12", "lastUpdate": "2026-11-25T17:03:10.000Z"}])
    pull_requests = janitor.parse_open_pull_requests([{"number": 12, "updatedAt": "2026-11-25T09:58:12Z"}])

    assert stacks[0].last_update == dt.datetime(2026, 11, 25, 17, 3, 10, tzinfo=UTC)
    assert pull_requests[0].updated_at == dt.datetime(2026, 11, 25, 9, 58, 12, tzinfo=UTC)
    assert janitor.parse_now("2026-11-26T09:00:00Z") == dt.datetime(2026, 11, 26, 9, tzinfo=UTC)


def test_an_offset_is_kept_and_no_offset_means_utc():
    assert dates.parse_timestamp("2026-11-25T10:00:00+01:00").utcoffset() == dt.timedelta(hours=1)
    assert dates.parse_timestamp("2026-11-25T10:00:00") == dt.datetime(2026, 11, 25, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["", "tomorrow", "2026-11-25Z", "Z", "2026-11-25T10:00:00+01:00Z", "2026-13-01T00:00Z"]
)
def test_what_is_no_date_and_time_is_refused(text):
    with pytest.raises(ValueError):
        dates.parse_timestamp(text)


def test_a_date_is_yyyy_mm_dd_and_a_day_of_the_calendar():
    assert dates.parse_date("2027-01-31") == dt.date(2027, 1, 31)
    # Python 3.11 reads these too; stagefleet's config and --today do not.
    for text in ("20270131", "2027-W05-7", "2027-01-31T00:00", "2027-02-30", " 2027-01-31"):
        with pytest.raises(ValueError):
            dates.parse_date(text)


def test_every_date_and_time_in_fleet_is_read_by_fleet_dates():
    readers = re.compile(r"\bfromisoformat\b|\bstrptime\b")
    elsewhere = [
        f"{path.relative_to(FLEET)}:{number}"
        for path in sorted(FLEET.rglob("*.py"))
        if path.name != "dates.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if readers.search(line)
    ]
    assert elsewhere == []


# --- lengths of time (fleet orphans --min-age) ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("24h", dt.timedelta(hours=24)),
        ("7d", dt.timedelta(days=7)),
        ("1d12h", dt.timedelta(days=1, hours=12)),
        ("90m", dt.timedelta(minutes=90)),
        ("2w", dt.timedelta(weeks=2)),
        ("0s", dt.timedelta(0)),
        (" 36h ", dt.timedelta(hours=36)),
    ],
)
def test_a_duration_is_whole_units_largest_first(text, delta):
    assert dates.parse_duration(text) == delta


@pytest.mark.parametrize("text", ["", "24", "h", "-1h", "1.5h", "12h1d", "1h1h", "24 h", "1y"])
def test_what_is_no_duration_is_refused(text):
    with pytest.raises(ValueError, match="not a duration such as 24h, 7d or 1d12h"):
        dates.parse_duration(text)


@pytest.mark.parametrize(
    ("delta", "age", "exact"),
    [
        (dt.timedelta(hours=24), "1d", "24h"),
        (dt.timedelta(days=3, hours=5), "3d", "77h"),
        (dt.timedelta(days=7), "7d", "7d"),
        (dt.timedelta(minutes=90), "1h", "90m"),
        (dt.timedelta(seconds=42), "42s", "42s"),
        (dt.timedelta(seconds=-5), "0s", "0s"),
    ],
)
def test_a_duration_is_said_as_an_age_and_exactly(delta, age, exact):
    assert (dates.format_duration(delta), dates.exact_duration(delta)) == (age, exact)


@pytest.mark.parametrize("text, moment", ZULU)
def test_an_api_timestamp_is_read_in_utc(text, moment):
    assert dates.read_timestamp(text) == moment


@pytest.mark.parametrize("value", [None, "", "yesterday", 1764662400, "2026-13-01T00:00:00Z"])
def test_an_absent_or_unreadable_api_timestamp_is_none(value):
    assert dates.read_timestamp(value) is None


def test_an_api_timestamp_without_an_offset_is_taken_as_utc():
    assert dates.read_timestamp("2026-12-04T10:00:00") == dt.datetime(2026, 12, 4, 10, tzinfo=UTC)
