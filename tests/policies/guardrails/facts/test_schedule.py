"""Schedule facts (policies/guardrails/facts/schedule.py): AWS's cron syntax, time zones and the
weekly on-hours every price of a scheduled service is built on."""

from __future__ import annotations

from decimal import Decimal

import pytest

from policies.guardrails.facts.schedule import (
    at_expression,
    is_on_at,
    minute_of_week,
    on_fraction,
    same_minute,
    schedule_problem,
    timezone_problem,
    weekly_cron_problem,
    weekly_on_minutes,
)

WAKE, SLEEP = "cron(0 8 ? * MON-FRI *)", "cron(0 20 ? * MON-FRI *)"


def test_twelve_hours_on_five_weekdays_is_sixty_hours_and_40_93_of_114_61():
    assert weekly_on_minutes(WAKE, SLEEP) == 60 * 60
    # The figure: staging's $114.61 at 12 h x 5 weekdays.
    assert round(Decimal("114.61") * on_fraction(WAKE, SLEEP), 2) == Decimal("40.93")


def test_hours_span_the_weekend_and_midnight():
    # On Friday 18:00 to Monday 06:00: 60 hours.
    assert weekly_on_minutes("cron(0 18 ? * FRI *)", "cron(0 6 ? * MON *)") == 60 * 60
    # Every night 22:00 to 06:00: 8 h x 7.
    assert weekly_on_minutes("cron(0 22 * * ? *)", "cron(0 6 * * ? *)") == 56 * 60


@pytest.mark.parametrize("expression", [
    "cron(0 8 ? * MON-FRI *)", "cron(30 6 ? * MON *)", "cron(0/15 * * * ? *)",
    "cron(0 8 1 * ? *)", "cron(0 8 L * ? *)", "cron(0 8 ? * 6#3 *)", "cron(0 8 ? * 2-6 2027)",
    "at(2026-12-05T13:00:00)", "rate(5 minutes)",
])
def test_schedules_aws_documents_are_accepted(expression):
    assert schedule_problem(expression) is None


@pytest.mark.parametrize(("expression", "expected"), [
    ("cron(0 8 ? * MON-FRI)", "has 5 fields"),
    ("cron(0 8 * * MON *)", "needs '?' in exactly one"),
    ("cron(0 8 ? * ? *)", "needs '?' in exactly one"),
    ("cron(60 8 ? * MON *)", "minutes '60' is not a value 0-59"),
    ("cron(0 8 ? * MON/2 *)", "day-of-week takes no '/'"),
    ("cron(0 8 ? 13 MON *)", "month '13' is not a value 1-12"),
    ("cron(0 8 ? * FRI-MON *)", "runs backwards"),
    ("cron(0 8 ? * MON 1969)", "year '1969' is not a value 1970-2199"),
    ("at(2026-12-05 13:00)", "is not at(yyyy-mm-ddThh:mm:ss)"),
    ("rate(0 minutes)", "is not rate("),
    ("0 8 * * 1-5", "is not at("),
])
def test_schedules_aws_refuses_are_refused_with_the_reason(expression, expected):
    assert expected in (schedule_problem(expression) or "")


def test_working_hours_must_repeat_weekly():
    assert weekly_cron_problem(WAKE) is None
    assert "does not repeat weekly" in (weekly_cron_problem("cron(0 8 1 * ? *)") or "")
    assert "does not repeat weekly" in (weekly_cron_problem("cron(0 8 ? * MON 2027)") or "")


def test_time_zones_are_iana_names():
    assert timezone_problem("Europe/London") is None and timezone_problem("UTC") is None
    assert timezone_problem("Europe/Londres") is not None
    assert timezone_problem("GMT+5") is not None


def test_same_minute_and_on_at():
    assert same_minute("cron(0 8 ? * MON *)", "cron(0 8 * * ? *)")
    assert not same_minute(WAKE, SLEEP)
    assert is_on_at(WAKE, SLEEP, minute_of_week(1, 12, 0))  # Tuesday noon
    assert not is_on_at(WAKE, SLEEP, minute_of_week(5, 12, 0))  # Saturday noon
    assert not is_on_at(WAKE, SLEEP, minute_of_week(0, 7, 59))  # Monday before eight


def test_at_expression():
    assert at_expression(2026, 1, 2, 3, 4) == "at(2026-01-02T03:04:00)"
