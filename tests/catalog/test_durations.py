"""Durations as people type them: ISO 8601 and words in English, German and French."""

from __future__ import annotations

import pytest

from catalog.durations import InvalidDuration, describe_days, parse_days


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("P14D", 14),
        ("p14d", 14),
        ("P2W", 14),
        ("P3M", 90),
        ("P1Y", 365),
        ("P1Y2M", 425),
        ("14", 14),
        (14, 14),
        ("0", 0),
        ("2 weeks", 14),
        ("two weeks", 14),
        ("Two Weeks", 14),
        ("a week", 7),
        ("10 days", 10),
        ("1 day", 1),
        ("10d", 10),
        ("2w", 14),
        ("3 months", 90),
        ("1 year", 365),
        ("1 month and 2 weeks", 44),
        ("1 month, 2 weeks", 44),
        ("half a year", None),  # "half a" is two numbers: refused below instead
        ("zwei Wochen", 14),
        ("10 Tage", 10),
        ("drei Monate", 90),
        ("ein Jahr", 365),
        ("deux semaines", 14),
        ("dix jours", 10),
        ("trois mois", 90),
        ("un an", 365),
        ("1,5 Monate", 45),
        ("  2   weeks  ", 14),
    ],
)
def test_durations_read_as_whole_days(text: object, days: int | None) -> None:
    if days is None:
        with pytest.raises(InvalidDuration):
            parse_days(text, "lead_time")
    else:
        assert parse_days(text, "lead_time") == days


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_an_empty_duration_is_none(empty: object) -> None:
    assert parse_days(empty, "lead_time") is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("soon", "'soon' is not a number"),
        ("two weekz", "'weekz' is not a unit"),
        ("2", None),
        ("weeks", "'weeks' is not a number"),
        ("3", None),
        ("2 weeks 3", "needs its unit"),
        ("P", None),
        ("PT5H", None),
        ("-3 days", "negative"),
        (-3, "negative"),
        ("1.5 days", "whole number of days"),
        ("200 years", "longer than 100 years"),
        (True, None),
        ([14], None),
    ],
)
def test_unreadable_durations_are_refused_naming_the_field(text: object, says: str | None) -> None:
    if says is None and isinstance(text, str) and text.isdigit():
        assert parse_days(text, "lead_time") == int(text)  # a bare number is days
        return
    with pytest.raises(InvalidDuration) as caught:
        parse_days(text, "lead_time")
    assert caught.value.where == "lead_time"
    assert caught.value.status == 422
    if says:
        assert says in caught.value.message


@pytest.mark.parametrize(
    ("days", "shown"),
    [
        (None, ""),
        (0, "0 days"),
        (1, "1 day"),
        (10, "10 days"),
        (14, "2 weeks"),
        (7, "1 week"),
        (30, "1 month"),
        (90, "3 months"),
        (365, "1 year"),
        (730, "2 years"),
        (44, "44 days"),
    ],
)
def test_days_are_shown_in_the_largest_whole_unit_and_read_back(
    days: int | None, shown: str
) -> None:
    assert describe_days(days) == shown
    if days is not None:
        assert parse_days(shown, "lead_time") == days
