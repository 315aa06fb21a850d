"""The queue's time texts: how long ago, in the largest whole unit, and the tooltip."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from desk.views.times import time_ago, timestamp_title

NOW = datetime(2026, 11, 30, 14, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=60), "1 minute ago"),
        (timedelta(minutes=59, seconds=59), "59 minutes ago"),
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=23, minutes=59), "23 hours ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=29), "29 days ago"),
        (timedelta(days=30), "1 month ago"),
        (timedelta(days=364), "12 months ago"),
        (timedelta(days=365), "1 year ago"),
        (timedelta(days=800), "2 years ago"),
        # A timestamp a little ahead of this server's clock (another host's) is not "-1 ago".
        (timedelta(seconds=-90), "just now"),
    ],
)
def test_time_ago_uses_the_largest_whole_unit(delta, text):
    assert time_ago(NOW - delta, NOW) == text


def test_timestamp_title_names_the_day_the_time_and_the_zone():
    assert timestamp_title(NOW) == "Mon 30 Nov 2026, 14:05 UTC"
    berlin = NOW.astimezone(ZoneInfo("Europe/Berlin"))
    assert timestamp_title(berlin) == "Mon 30 Nov 2026, 15:05 CET"
    assert timestamp_title(datetime(2026, 3, 1, 9, 0, tzinfo=UTC)) == "Sun 1 Mar 2026, 09:00 UTC"
