"""The customer record (spec/policy.md §1.9): its fields, their defaults and limits, and the one set of checks
that every way in applies — the policy document's customers, imports and the store's writes.

``customer_problems`` lists every problem as ``customers.<id>.<field>: expected …``; ``normalised`` returns
the record with defaults filled and the documented coercions applied (an integer id becomes text, an integral
float timestamp an integer). Both are pure; the store adds only what is storage's own (NUL characters).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CUSTOMER_DEFAULTS",
    "GRANT_NUMBER_FIELDS",
    "INT64_MAX",
    "INT64_MIN",
    "MAX_ID_CHARS",
    "MAX_LABEL_CHARS",
    "MAX_NAME_CHARS",
    "UINT64_MAX",
    "CustomerRules",
    "InvalidCustomer",
    "customer_problems",
    "fill_customer",
    "normalised",
]

# The same limits on both databases (SQLite does not enforce a VARCHAR length; PostgreSQL does, with a driver
# error): the store's columns are VARCHAR(255) for id, plan and type and VARCHAR(500) for the label.
MAX_ID_CHARS = 255
MAX_NAME_CHARS = 255
MAX_LABEL_CHARS = 500
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# JSON integers are held in 64 bits, signed or unsigned (as orjson and the reference engine's serde_json hold
# them); timestamps are stored in BIGINT columns, so they are signed.
UINT64_MAX = 2**64 - 1
# Past this many problems in one record the rest is noise.
MAX_PROBLEMS = 20

# Every field of a customer and its default; list and object defaults are copied, never shared.
CUSTOMER_DEFAULTS: dict[str, Any] = {
    "plan": "",
    "type": "user",
    "label": "User",
    "alt_ids": [],
    "refs": [],
    "overrides": {},
    "caps": {},
    "grants": {},
    "meters": {},
    "metadata": None,
}
_TEXT_LIMITS = {"plan": MAX_NAME_CHARS, "type": MAX_NAME_CHARS, "label": MAX_LABEL_CHARS}
_OBJECT_FIELDS = ("overrides", "caps", "grants", "meters")
_TIMESTAMPS = ("cloud_created", "cloud_updated")
# Optional numeric fields of a meter, a grant and a cap (null allowed): type-checked when present.
_METER_NUMBERS = ("overhead", "ewma_rate", "governor_tokens", "governor_last_refill")
GRANT_NUMBER_FIELDS = ("starting_value", "created_on", "granted_on", "expires_on", "last_reset")
_CAP_NUMBERS = ("meter_value", "overhead_cost", "expires_on")


class InvalidCustomer(ValueError):
    """A customer record that may not be stored; ``problems`` lists each as ``path: message``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True, slots=True)
class CustomerRules:
    """What a record is checked against: the plan and credit names of the environment's policy (None: no policy
    to check against, so any name is accepted)."""

    plans: frozenset[str] | None = None
    credits: frozenset[str] | None = None

    @classmethod
    def of_document(cls, document: Mapping[str, Any] | None) -> CustomerRules:
        """The rules of a policy document (its ``plans`` and ``credits``); no document, no name checks."""
        if document is None:
            return cls()
        plans = document.get("plans") or {}
        credits = document.get("credits") or {}
        return cls(frozenset(plans) if isinstance(plans, Mapping) else frozenset(),
                   frozenset(credits) if isinstance(credits, Mapping) else frozenset())


class _AnyCredit:
    """Stands for the credits when there is no policy: every name is taken as known."""

    def __contains__(self, _name: object) -> bool:
        return True


def fill_customer(customer: dict[str, Any], customer_id: str | None = None) -> dict[str, Any]:
    """Fill a customer's missing (or null) fields with Limitr's defaults, in place; returns it."""
    if customer_id is not None:
        customer.setdefault("id", customer_id)
    for key, default in CUSTOMER_DEFAULTS.items():
        if default is None:
            customer.setdefault(key, None)
        elif customer.get(key) is None:
            customer[key] = copy.copy(default)
    return customer


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    """A short rendering of a bad value for a message (a 1 MB string is not echoed back)."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except ValueError:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _path_key(key: Any) -> str:
    text = str(key)
    return text if len(text) <= 80 else text[:77] + "..."


def normalised(raw: Any) -> dict[str, Any]:
    """A copy of ``raw`` with the defaults filled and the documented coercions (int id → text, an integral
    float timestamp → int); raises InvalidCustomer with every problem ``customer_problems`` finds."""
    if not isinstance(raw, Mapping):
        raise InvalidCustomer(["customer: expected a JSON object, got " + _shown(raw)])
    record = dict(raw)
    customer_id = record.get("id")
    if is_number(customer_id) and isinstance(customer_id, int):
        record["id"] = str(customer_id)
    for key in _TIMESTAMPS:
        value = record.get(key)
        if isinstance(value, float) and value.is_integer():
            record[key] = int(value)
        record.setdefault(key, None)
    fill_customer(record)
    return record


def customer_problems(
    customer: Mapping[str, Any], rules: CustomerRules | None = None, *, path: str | None = None,
    in_place: bool = False,
) -> list[str]:
    """Every problem of a (defaults-filled) customer record, each ``customers.<id>.<field>: message``.

    ``in_place`` lets the override limits be filled with their defaults (the policy document's loading wants
    that); otherwise they are checked on a copy and the record is left as given.
    """
    rules = rules or CustomerRules()
    problems: list[str] = []
    customer_id = customer.get("id")
    if not isinstance(customer_id, str) or not customer_id:
        problems.append(f"{path or 'customer'}.id: expected a non-empty string, got {_shown(customer_id)}")
        return problems
    if len(customer_id) > MAX_ID_CHARS:
        problems.append(
            f"{path or 'customer'}.id: at most {MAX_ID_CHARS} characters, got {len(customer_id)}"
        )
        return problems
    base = path or f"customers.{_path_key(customer_id)}"

    def fail(where: str, message: str) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(f"{base}.{where}: {message}")

    for key, limit in _TEXT_LIMITS.items():
        value = customer.get(key)
        if not isinstance(value, str):
            fail(key, f"expected a string, got {_shown(value)}")
        elif len(value) > limit:
            fail(key, f"at most {limit} characters, got {len(value)}")
    plan = customer.get("plan")
    if rules.plans is not None and isinstance(plan, str) and plan and plan not in rules.plans:
        known = ", ".join(sorted(rules.plans)) or "none"
        fail("plan", f"unknown plan {_shown(plan)} (the policy's plans: {_shown(known)[1:-1]})")
    for key in ("alt_ids", "refs"):
        value = customer.get(key)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            fail(key, f"expected a list of strings, got {_shown(value)}")
        elif any(not item or len(item) > MAX_ID_CHARS for item in value):
            fail(key, f"each id must have 1 to {MAX_ID_CHARS} characters")
    for key in _OBJECT_FIELDS:
        if not isinstance(customer.get(key), dict):
            fail(key, f"expected an object, got {_shown(customer.get(key))}")
    metadata = customer.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        fail("metadata", f"expected an object or null, got {_shown(metadata)}")
    for key in _TIMESTAMPS:
        value = customer.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            fail(key, f"expected integer epoch milliseconds, got {_shown(value)}")
        elif value is not None and not INT64_MIN <= value <= INT64_MAX:
            fail(key, "integer out of the 64-bit range")
    _meter_problems(customer.get("meters"), fail)
    _override_problems(customer.get("overrides"), rules, fail, base, problems, in_place)
    _grant_problems(customer.get("grants"), rules, fail)
    _cap_problems(customer.get("caps"), fail)
    for key, value in customer.items():
        if key not in _TIMESTAMPS and not _numbers_fine(value):  # the paths only once a bad one is known
            _number_problems(value, key, fail)
    return problems


def _optional_numbers(obj: dict[str, Any], keys: tuple[str, ...], where: Any, fail: Any) -> None:
    for key in keys:
        value = obj.get(key)
        if value is not None and type(value) not in _NUMBER_TYPES:
            fail(f"{where()}.{key}", f"expected a number or null, got {_shown(value)}")


_NUMBER_TYPES = frozenset({int, float})


def _meter_problems(meters: Any, fail: Any) -> None:
    if not isinstance(meters, dict):
        return
    for name, meter in meters.items():
        # the path is built only for a problem: this runs for every meter of every imported customer
        def where(name: Any = name) -> str:
            return f"meters.{_path_key(name)}"

        if type(meter) is not dict:
            fail(where(), f"expected an object {{credit, started, value, …}}, got {_shown(meter)}")
            continue
        for key in ("started", "value"):
            if type(meter.get(key)) not in _NUMBER_TYPES:
                fail(f"{where()}.{key}", f"expected a number, got {_shown(meter.get(key))}")
        credit = meter.get("credit")
        if credit is not None and type(credit) is not str:
            fail(f"{where()}.credit", f"expected a string, got {_shown(credit)}")
        if len(meter) > 4:  # the usual four keys checked; the rest only when present
            _optional_numbers(meter, _METER_NUMBERS, where, fail)
            for key, kind, name_of in (("holds", dict, "an object"), ("estimates", dict, "an object"),
                                       ("history", list, "a list")):
                if meter.get(key) is not None and not isinstance(meter[key], kind):
                    fail(f"{where()}.{key}", f"expected {name_of}, got {_shown(meter[key])}")
        else:
            overhead = meter.get("overhead")
            if overhead is not None and type(overhead) not in _NUMBER_TYPES:
                fail(f"{where()}.overhead", f"expected a number or null, got {_shown(overhead)}")


def _override_problems(
    overrides: Any, rules: CustomerRules, fail: Any, base: str, problems: list[str], in_place: bool
) -> None:
    if not isinstance(overrides, dict):
        return
    from segmentr.policy.document import limit_problems  # the document module imports this one's defaults

    credits: Any = rules.credits if rules.credits is not None else _AnyCredit()
    for name, limit in overrides.items():
        where = f"overrides.{_path_key(name)}"
        if not isinstance(limit, dict):
            fail(where, f"expected a limit object {{credit, mode, value, …}}, got {_shown(limit)}")
            continue
        checked = limit if in_place else copy.deepcopy(limit)
        for problem in limit_problems(checked, credits, f"{base}.{where}"):
            if len(problems) < MAX_PROBLEMS:
                problems.append(problem)


def _grant_problems(grants: Any, rules: CustomerRules, fail: Any) -> None:
    if not isinstance(grants, dict):
        return
    for grant_id, grant in grants.items():
        def where(grant_id: Any = grant_id) -> str:
            return f"grants.{_path_key(grant_id)}"

        if not isinstance(grant, dict):
            fail(where(), f"expected an object {{credit, value, …}}, got {_shown(grant)}")
            continue
        credit = grant.get("credit")
        if not isinstance(credit, str):
            fail(f"{where()}.credit", f"expected a string, got {_shown(credit)}")
        elif rules.credits is not None and credit not in rules.credits:
            fail(f"{where()}.credit", f"unknown credit {_shown(credit)}")
        if not is_number(grant.get("value")):
            fail(f"{where()}.value", f"expected a number, got {_shown(grant.get('value'))}")
        _optional_numbers(grant, GRANT_NUMBER_FIELDS, where, fail)
        topup = grant.get("topup")
        if topup is not None and not isinstance(topup, str):
            fail(f"{where()}.topup", f"expected a string or null, got {_shown(topup)}")


def _cap_problems(caps: Any, fail: Any) -> None:
    if not isinstance(caps, dict):
        return
    for cap_id, cap in caps.items():
        def where(cap_id: Any = cap_id) -> str:
            return f"caps.{_path_key(cap_id)}"

        if not isinstance(cap, dict):
            fail(where(), f"expected an object {{credit, value, …}}, got {_shown(cap)}")
            continue
        if not is_number(cap.get("value")):
            fail(f"{where()}.value", f"expected a number, got {_shown(cap.get('value'))}")
        credit = cap.get("credit")
        if credit is not None and not isinstance(credit, str):
            fail(f"{where()}.credit", f"expected a string, got {_shown(credit)}")
        _optional_numbers(cap, _CAP_NUMBERS, where, fail)


def _numbers_fine(value: Any) -> bool:
    """Whether every number in ``value`` is finite and fits 64 bits (the quick walk, without paths)."""
    kind = type(value)
    if kind is float:
        return math.isfinite(value)
    if kind is int:
        return INT64_MIN <= value <= UINT64_MAX
    if kind is dict:
        return all(_numbers_fine(item) for item in value.values()) if value else True
    if kind is list:
        return all(_numbers_fine(item) for item in value) if value else True
    if kind is str or value is None or kind is bool:
        return True
    return not isinstance(value, float | int | dict | list) or _numbers_fine_slow(value)


def _numbers_fine_slow(value: Any) -> bool:
    problems: list[str] = []
    _number_problems(value, "", lambda _where, message: problems.append(message))
    return not problems


def _number_problems(value: Any, where: str, fail: Any) -> None:
    """Numbers anywhere in the record (metadata included) are finite and integers fit 64 bits: JSON has no
    NaN or infinity, and orjson and the reference engine hold integers in 64 bits."""
    if isinstance(value, float):
        if not math.isfinite(value):
            fail(where, f"expected a finite number, got {value}")
    elif isinstance(value, int) and not isinstance(value, bool):
        if not INT64_MIN <= value <= UINT64_MAX:
            fail(where, "integer out of the 64-bit range")
    elif isinstance(value, dict):
        for key, item in value.items():
            _number_problems(item, f"{where}.{_path_key(key)}", fail)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _number_problems(item, f"{where}.{index}", fail)
