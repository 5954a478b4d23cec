"""Scheduled scaling facts: the one home of Application Auto Scaling's schedule syntax, of the
time zones it takes, and of the hours a working-hours schedule keeps a service on.

Its callers: the stack config (stack_model/config/schedule.py) validates `schedule.wake`,
`schedule.sleep` and `schedule.timezone` here; the pricing (stack_model/pricing.py) and the
pack's worst-case rule (guardrails/budgets.py) price a scheduled service at `on_fraction`; the
pack's schedule rule (guardrails/scaling.py) refuses what AWS would refuse; `z360-ecs wake`
writes its one-time action with `at_expression`. Standard library only.

Sources:
- Application Auto Scaling API reference, PutScheduledAction: `Schedule` is `at(yyyy-mm-
  ddThh:mm:ss)`, `rate(value unit)` or `cron(fields)`; `Timezone` is "the canonical names of the
  IANA time zones supported by Joda-Time", default UTC; `ScalableTargetAction` holds
  `MinCapacity` and `MaxCapacity`. `ScheduledActionName` is 1 to 256 characters.
- Application Auto Scaling user guide, "Scheduled scaling" / "Schedule recurring scaling actions
  using Application Auto Scaling": six fields `[Minutes] [Hours] [Day_of_Month] [Month]
  [Day_of_Week] [Year]`, the syntax of the EventBridge user guide's "Cron expressions
  reference": minutes 0-59 and hours 0-23 (`, - * /`), day of month 1-31 (`, - * ? / L W`),
  month 1-12 or JAN-DEC (`, - * /`), day of week 1-7 or SUN-SAT, 1 = Sunday (`, - * ? L #`),
  year 1970-2199 (`, - * /`); day of month and day of week cannot both be given: one of them
  is `?`.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

MINUTES_PER_WEEK = 7 * 24 * 60
HOURS_PER_WEEK = Decimal(168)

MAX_ACTION_NAME = 256
"""PutScheduledAction ScheduledActionName: at most 256 characters."""

DEFAULT_TIMEZONE = "UTC"
"""What AWS uses when a scheduled action names no time zone (PutScheduledAction Timezone)."""

_WRAPPED = re.compile(r"^(cron|at|rate)\((.*)\)$")
_AT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$")
_RATE = re.compile(r"^([1-9]\d*) (minute|minutes|hour|hours|day|days)$")

_MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
_DAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]
    specials: str
    """Of `? L W #`, what this field allows (`, - * /` are parsed for every field but
    day-of-week, which takes no `/`)."""
    steps: bool = True


_FIELDS = (
    _Field("minutes", 0, 59, {}, ""),
    _Field("hours", 0, 23, {}, ""),
    _Field("day-of-month", 1, 31, {}, "?LW"),
    _Field("month", 1, 12, _MONTHS, ""),
    _Field("day-of-week", 1, 7, _DAYS, "?L#", steps=False),
    _Field("year", 1970, 2199, {}, ""),
)


@dataclass(frozen=True)
class Cron:
    """A parsed `cron(...)` expression: the values each field allows (None: any value, from
    `*` or `?`; L, W and # make a field not a plain set, `special` True)."""

    values: tuple[frozenset[int] | None, ...]
    special: tuple[bool, ...]

    def field(self, name: str) -> frozenset[int] | None:
        return self.values[[f.name for f in _FIELDS].index(name)]

    @property
    def weekly(self) -> bool:
        """Repeats every week: any day of month, month and year, plain days of week."""
        dom, month, dow, year = (self.values[i] for i in (2, 3, 4, 5))
        return (dom is None and month is None and year is None and not any(self.special)
                and (dow is None or len(dow) > 0))

    def minutes_of_week(self) -> frozenset[int]:
        """Minutes since Sunday 00:00 (local wall time) at which a weekly expression fires."""
        minutes = self.field("minutes") or frozenset(range(60))
        hours = self.field("hours") or frozenset(range(24))
        days = self.field("day-of-week") or frozenset(range(1, 8))
        return frozenset((d - 1) * 1440 + h * 60 + m for d in days for h in hours for m in minutes)


def _value(text: str, field: _Field) -> int | None:
    if text.upper() in field.names:
        return field.names[text.upper()]
    if text.isdigit():
        value = int(text)
        return value if field.low <= value <= field.high else None
    return None


def _term(term: str, field: _Field) -> frozenset[int] | str:
    """The values of one comma-separated term, or what is wrong with it."""
    allowed = f"{field.low}-{field.high}" + (
        f" or {next(iter(field.names))}-{list(field.names)[-1]}" if field.names else "")
    base, _, step_text = term.partition("/")
    step = 1
    if step_text:
        if not field.steps:
            return f"{field.name} takes no '/' (allowed there: , - * ? L #)"
        if not step_text.isdigit() or int(step_text) < 1:
            return f"{field.name} step {step_text!r} is not a whole number from 1"
        step = int(step_text)
    if base == "*":
        low, high = field.low, field.high
    else:
        first, dash, last = base.partition("-")
        start = _value(first, field)
        end = _value(last, field) if dash else (field.high if step_text else start)
        if start is None or end is None:
            return f"{field.name} {term!r} is not a value {allowed}"
        if end < start:
            return f"{field.name} range {term!r} runs backwards"
        low, high = start, end
    return frozenset(range(low, high + 1, step))


def _parse_field(text: str, field: _Field) -> tuple[frozenset[int] | None, bool] | str:
    if text in ("*", "?"):
        if text == "?" and "?" not in field.specials:
            return f"{field.name} takes no '?' (only day-of-month and day-of-week do)"
        return None, False
    special = [c for c in "LW#" if c in text.upper()]
    if special:
        if any(c not in field.specials for c in special):
            return f"{field.name} {text!r}: {''.join(special)} is not allowed in {field.name}"
        if not re.fullmatch(r"(L|\d{0,2}W|LW|[1-7]L|[1-7]#[1-5]|[A-Za-z]{3}#[1-5]|[A-Za-z]{3}L)",
                            text):
            return f"{field.name} {text!r} is not a valid L, W or # term"
        return frozenset(), True
    values: set[int] = set()
    for term in text.split(","):
        result = _term(term, field)
        if isinstance(result, str):
            return result
        values |= result
    return frozenset(values), False


@cache
def parse_cron(expression: str) -> Cron | str:
    """`cron(...)` parsed, or the first thing wrong with it, in words."""
    match = _WRAPPED.match(expression.strip()) if isinstance(expression, str) else None
    if match is None or match.group(1) != "cron":
        return "is not cron(Minutes Hours Day-of-month Month Day-of-week Year)"
    parts = match.group(2).split()
    if len(parts) != len(_FIELDS):
        return (f"has {len(parts)} fields; Application Auto Scaling's cron takes 6: Minutes "
                "Hours Day-of-month Month Day-of-week Year")
    values: list[frozenset[int] | None] = []
    specials: list[bool] = []
    for text, field in zip(parts, _FIELDS, strict=True):
        result = _parse_field(text, field)
        if isinstance(result, str):
            return result
        values.append(result[0])
        specials.append(result[1])
    if (parts[2] == "?") == (parts[4] == "?"):
        return ("needs '?' in exactly one of day-of-month and day-of-week (e.g. "
                "cron(0 8 ? * MON-FRI *))")
    return Cron(tuple(values), tuple(specials))


def schedule_problem(schedule: str) -> str | None:
    """What AWS would refuse in a PutScheduledAction `Schedule`; None when it is valid."""
    match = _WRAPPED.match(schedule.strip()) if isinstance(schedule, str) else None
    if match is None:
        return "is not at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)"
    kind, body = match.groups()
    if kind == "at":
        return None if _AT.match(body) else "is not at(yyyy-mm-ddThh:mm:ss)"
    if kind == "rate":
        return None if _RATE.match(body) else "is not rate(<positive number> minutes|hours|days)"
    parsed = parse_cron(schedule)
    return parsed if isinstance(parsed, str) else None


def weekly_cron_problem(expression: str) -> str | None:
    """Why `expression` is not a cron that repeats every week (what working hours need)."""
    parsed = parse_cron(expression)
    if isinstance(parsed, str):
        return parsed
    if not parsed.weekly:
        return ("does not repeat weekly: working hours need day-of-month '?' or '*', month "
                "'*', year '*' and plain days of week (no L or #)")
    return None


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone_problem(name: str) -> str | None:
    """Why `name` is not an IANA time zone; None when it is one."""
    if not isinstance(name, str) or name not in _zones():
        return "is not an IANA time zone name (e.g. Europe/London, America/New_York, UTC)"
    return None


def at_expression(year: int, month: int, day: int, hour: int, minute: int) -> str:
    """A one-time schedule, `at(yyyy-mm-ddThh:mm:ss)`, in the action's time zone."""
    return f"at({year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00)"


@cache
def weekly_on_minutes(wake: str, sleep: str) -> int:
    """Minutes a week a service is on under `wake` and `sleep` (weekly crons, validated): from
    each wake to the next sleep. Counted in the time zone's wall time: a daylight-saving change
    moves one week's figure by an hour, twice a year."""
    wake_cron, sleep_cron = parse_cron(wake), parse_cron(sleep)
    assert isinstance(wake_cron, Cron) and isinstance(sleep_cron, Cron)
    wakes, sleeps = wake_cron.minutes_of_week(), sleep_cron.minutes_of_week()
    events = sorted([(m, True) for m in wakes] + [(m, False) for m in sleeps])
    if not events:
        return 0
    on = 0
    for position, (minute, is_wake) in enumerate(events):
        following = events[(position + 1) % len(events)][0]
        span = (following - minute) % MINUTES_PER_WEEK or MINUTES_PER_WEEK
        if is_wake:
            on += span
    return on


def on_fraction(wake: str, sleep: str) -> Decimal:
    """Share of the week a service is on: its on-hours / 168 (x 730 h gives its month)."""
    return Decimal(weekly_on_minutes(wake, sleep)) / Decimal(MINUTES_PER_WEEK)


def same_minute(wake: str, sleep: str) -> bool:
    """Whether wake and sleep ever fire in the same minute (AWS would run both, in no stated
    order)."""
    wake_cron, sleep_cron = parse_cron(wake), parse_cron(sleep)
    if isinstance(wake_cron, str) or isinstance(sleep_cron, str):
        return False
    return bool(wake_cron.minutes_of_week() & sleep_cron.minutes_of_week())


def minute_of_week(weekday: int, hour: int, minute: int) -> int:
    """Minutes since Sunday 00:00 of a wall time; `weekday` as Python's (Monday 0)."""
    return ((weekday + 1) % 7) * 1440 + hour * 60 + minute


def is_on_at(wake: str, sleep: str, minute: int) -> bool:
    """Whether working hours `wake`/`sleep` (weekly crons, validated) have the service on at
    `minute` of the week: the last action at or before it was a wake."""
    wake_cron, sleep_cron = parse_cron(wake), parse_cron(sleep)
    assert isinstance(wake_cron, Cron) and isinstance(sleep_cron, Cron)

    def since(events: frozenset[int]) -> int:
        return min(((minute - m) % MINUTES_PER_WEEK for m in events), default=MINUTES_PER_WEEK)

    return since(wake_cron.minutes_of_week()) < since(sleep_cron.minutes_of_week())
