"""Reset periods: duration-based `reset_inc` and UTC calendar `reset_sch` schedules (policy.md §1.6)."""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DAY_MS = 86_400_000
DEFAULT_RESET_INC = 30 * DAY_MS
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTHS_BACK = 60  # how far to search for a boundary; every schedule has one at least once a year


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed `reset_sch`: `kind` is monthly, monthly_last, weekly, nth_weekday, yearly or quarterly."""

    text: str
    kind: str
    day: int = 1
    weekday: int = 0
    nth: int = 1
    month: int = 1

    def _candidate(self, year: int, month: int) -> datetime | None:
        """This schedule's boundary inside the given month, if it has one there."""
        last = calendar.monthrange(year, month)[1]
        kind = self.kind
        if kind == "monthly":
            return datetime(year, month, min(self.day, last), tzinfo=UTC)
        if kind == "monthly_last":
            return datetime(year, month, last, tzinfo=UTC)
        if kind == "quarterly":
            if (month - 1) % 3:
                return None
            return datetime(year, month, min(self.day, last), tzinfo=UTC)
        if kind == "yearly":
            if month != self.month:
                return None
            return datetime(year, month, min(self.day, last), tzinfo=UTC)
        if kind == "nth_weekday":
            first_weekday = calendar.monthrange(year, month)[0]
            day = 1 + (self.weekday - first_weekday) % 7 + 7 * (self.nth - 1)
            while day > last:  # a fifth weekday that this month lacks: its last one
                day -= 7
            return datetime(year, month, day, tzinfo=UTC)
        raise AssertionError(kind)

    def latest_start(self, now_ms: int) -> int:
        """The latest boundary at or before `now_ms`."""
        now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
        if self.kind == "weekly":
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
            back = (midnight.weekday() - self.weekday) % 7
            return _ms(midnight - timedelta(days=back))
        year, month = now.year, now.month
        for _ in range(_MONTHS_BACK):
            candidate = self._candidate(year, month)
            if candidate is not None and candidate <= now:
                return _ms(candidate)
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        raise AssertionError(self.text)

    def next_start(self, now_ms: int) -> int:
        """The first boundary strictly after `now_ms`."""
        now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
        if self.kind == "weekly":
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
            ahead = (self.weekday - midnight.weekday()) % 7 or 7
            return _ms(midnight + timedelta(days=ahead))
        year, month = now.year, now.month
        for _ in range(_MONTHS_BACK):
            candidate = self._candidate(year, month)
            if candidate is not None and candidate > now:
                return _ms(candidate)
            year, month = (year, month + 1) if month < 12 else (year + 1, 1)
        raise AssertionError(self.text)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


_PATTERNS = (
    (re.compile(r"monthly:last"), "monthly_last"),
    (re.compile(r"monthly:(\d{1,2})"), "monthly"),
    (re.compile(r"weekly:([a-z]{3})"), "weekly"),
    (re.compile(r"nth_weekday:([1-5]):([a-z]{3})"), "nth_weekday"),
    (re.compile(r"yearly:(\d{1,2})-(\d{1,2})"), "yearly"),
    (re.compile(r"quarterly:(\d{1,2})"), "quarterly"),
)


def parse_schedule(text: str) -> Schedule:
    """Parse a `reset_sch` string; ValueError with the reason when it is not one of the six forms."""
    lowered = text.strip().lower()
    for pattern, kind in _PATTERNS:
        match = pattern.fullmatch(lowered)
        if match is None:
            continue
        groups = match.groups()
        if kind == "monthly_last":
            return Schedule(text, kind)
        if kind in ("monthly", "quarterly"):
            day = int(groups[0])
            _check_day(day, text)
            return Schedule(text, kind, day=day)
        if kind == "weekly":
            return Schedule(text, kind, weekday=_weekday(groups[0], text))
        if kind == "nth_weekday":
            return Schedule(text, kind, nth=int(groups[0]), weekday=_weekday(groups[1], text))
        month, day = int(groups[0]), int(groups[1])
        if not 1 <= month <= 12:
            raise ValueError(f"month {month} out of range in {text!r}")
        _check_day(day, text)
        return Schedule(text, kind, month=month, day=day)
    raise ValueError(
        f"unknown schedule {text!r}: expected monthly:N, monthly:last, weekly:mon, nth_weekday:N:mon, "
        "yearly:M-D or quarterly:D"
    )


def _check_day(day: int, text: str) -> None:
    if not 1 <= day <= 31:
        raise ValueError(f"day {day} out of range in {text!r}")


def _weekday(name: str, text: str) -> int:
    if name not in WEEKDAYS:
        raise ValueError(f"unknown weekday {name!r} in {text!r}")
    return WEEKDAYS.index(name)


def pending_period_start(started: int, now: int, reset_inc: int | None, schedule: Schedule | None) -> int | None:
    """The start of the current period when it began after `started` (a reset is due), else None."""
    if schedule is not None:
        boundary = schedule.latest_start(now)
        return boundary if boundary > started else None
    inc = reset_inc or DEFAULT_RESET_INC
    elapsed = now - started
    if elapsed <= inc:
        return None
    return started + inc * (math.ceil(elapsed / inc) - 1)


def next_reset(started: int, now: int, reset_inc: int | None, schedule: Schedule | None) -> int:
    """When the current period ends (ms epoch)."""
    if schedule is not None:
        return schedule.next_start(now)
    inc = reset_inc or DEFAULT_RESET_INC
    start = pending_period_start(started, now, inc, None) or started
    return start + inc
