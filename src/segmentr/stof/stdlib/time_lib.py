"""The Time library: ``now()`` (unit ``ms``, injectable clock), calendar fields and period starts on UTC
timestamps, RFC 3339 / RFC 2822 conversion. Plain numbers are read as epoch milliseconds; unit numbers in any
time unit are converted to milliseconds first."""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from segmentr.stof.errors import StofRuntimeError
from segmentr.stof.stdlib.table import LibFunction, lib
from segmentr.stof.units import convert, is_time
from segmentr.stof.values import Units

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_clock: Callable[[], float] = lambda: time.time() * 1000.0  # noqa: E731


def set_clock(fn: Callable[[], float] | None) -> None:
    """Make ``Time.now()`` read ``fn()`` (epoch milliseconds); None restores the system clock."""
    global _clock
    _clock = fn if fn is not None else (lambda: time.time() * 1000.0)


def now_ms() -> float:
    return float(_clock())


def to_ms(ts: Any) -> float:
    """A timestamp argument in epoch milliseconds (time units converted, plain numbers taken as ms)."""
    if type(ts) is Units:
        if is_time(ts.unit):
            return convert(ts.value, ts.unit, "ms")
        return ts.value
    if type(ts) in (int, float):
        return float(ts)
    raise StofRuntimeError("timestamp must be a number", kind="Cast")


def _dt(ts: Any) -> datetime:
    ms = to_ms(ts)
    try:
        return _EPOCH + timedelta(milliseconds=ms)
    except (OverflowError, ValueError):
        raise StofRuntimeError("timestamp out of range", kind="Time") from None


def _ms(dt: datetime) -> Units:
    delta = dt - _EPOCH
    return Units((delta.days * 86_400_000) + delta.seconds * 1000 + delta.microseconds / 1000, "ms")


def _start_of_day(ts: Any) -> Units:
    return _ms(_dt(ts).replace(hour=0, minute=0, second=0, microsecond=0))


def _start_of_week(ts: Any, start_day: int | None = None) -> Units:
    dt = _dt(ts).replace(hour=0, minute=0, second=0, microsecond=0)
    back = (dt.weekday() - (start_day or 0)) % 7
    return _guard(lambda: _ms(dt - timedelta(days=back)))


def _start_of_month(ts: Any) -> Units:
    return _ms(_dt(ts).replace(day=1, hour=0, minute=0, second=0, microsecond=0))


def _start_of_year(ts: Any) -> Units:
    return _ms(_dt(ts).replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0))


def _guard(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except (OverflowError, ValueError):
        raise StofRuntimeError("timestamp out of range", kind="Time") from None


def _add_days(ts: Any, days: Any) -> Units:
    return Units(to_ms(ts) + float(days) * 86_400_000.0, "ms")


def _add_months(ts: Any, months: int) -> Units:
    dt = _dt(ts)
    index = dt.month - 1 + months
    year, month = dt.year + index // 12, index % 12 + 1
    if not 1 <= year <= 9999:
        raise StofRuntimeError("timestamp out of range", kind="Time")
    day = min(dt.day, calendar.monthrange(year, month)[1])
    return _ms(dt.replace(year=year, month=month, day=day))


def _diff(prev: Any) -> Units:
    return Units(now_ms() - to_ms(prev), "ms")


def _diff_ns(prev: Any) -> Units:
    return Units((now_ms() - to_ms(prev)) * 1_000_000.0, "ns")


def _to_rfc3339(ts: Any) -> str:
    dt = _dt(ts)
    return dt.isoformat(timespec="milliseconds" if dt.microsecond else "seconds")


def _from_rfc3339(text: str) -> Units:
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise StofRuntimeError(f"not an RFC 3339 timestamp: {text!r}", kind="TimeFromRFC3339") from None
    if dt.tzinfo is None or "T" not in text.upper():
        raise StofRuntimeError(f"not an RFC 3339 timestamp: {text!r}", kind="TimeFromRFC3339")
    return _ms(dt)


def _to_rfc2822(ts: Any) -> str:
    return format_datetime(_dt(ts)).replace("-0000", "+0000")


def _from_rfc2822(text: str) -> Units:
    try:
        dt = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        raise StofRuntimeError(f"not an RFC 2822 timestamp: {text!r}", kind="TimeFromRFC2822") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return _ms(dt)


def _days_in_month(ts: Any) -> int:
    dt = _dt(ts)
    return calendar.monthrange(dt.year, dt.month)[1]


def _field(name: str) -> Callable[[Any], int]:
    return lambda ts: int(getattr(_dt(ts), name))


TIME: dict[str, LibFunction] = {
    "now": lib(lambda: Units(now_ms(), "ms")),
    "now_ns": lib(lambda: Units(now_ms() * 1_000_000.0, "ns")),
    "diff": lib(_diff, 1, 1, "float"),
    "diff_ns": lib(_diff_ns, 1, 1, "float"),
    "add_days": lib(_add_days, 2, 2, "float", "float"),
    "add_months": lib(_add_months, 2, 2, "float", "int"),
    "start_of_day": lib(_start_of_day, 1, 1, "float"),
    "start_of_week": lib(_start_of_week, 1, 2, "float", "int"),
    "start_of_month": lib(_start_of_month, 1, 1, "float"),
    "start_of_year": lib(_start_of_year, 1, 1, "float"),
    "year": lib(_field("year"), 1, 1, "float"),
    "month": lib(_field("month"), 1, 1, "float"),
    "day_of_month": lib(_field("day"), 1, 1, "float"),
    "hour": lib(_field("hour"), 1, 1, "float"),
    "minute": lib(_field("minute"), 1, 1, "float"),
    "second": lib(_field("second"), 1, 1, "float"),
    "day_of_week": lib(lambda ts: _dt(ts).weekday(), 1, 1, "float"),
    "days_in_month": lib(_days_in_month, 1, 1, "float"),
    "to_rfc3339": lib(_to_rfc3339, 1, 1, "float"),
    "from_rfc3339": lib(_from_rfc3339, 1, 1, "str"),
    "to_rfc2822": lib(_to_rfc2822, 1, 1, "float"),
    "from_rfc2822": lib(_from_rfc2822, 1, 1, "str"),
    "sleep": lib(lambda duration: None, 1, 1, "float"),  # never actually sleeps inside a condition
}

__all__ = ["TIME", "now_ms", "set_clock", "to_ms"]
