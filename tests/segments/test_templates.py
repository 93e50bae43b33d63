"""The six templates and the source document's examples: exact code, compile, and the right members on real
customers with a real Policy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from segments_policy import CUSTOMERS, NOW_MS, make_policy

from segmentr.segments.evaluator import evaluate
from segmentr.segments.templates import EXAMPLES, TEMPLATES, template
from segmentr.stof import check, compile
from segmentr.stof.stdlib import set_clock


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    set_clock(lambda: float(NOW_MS))
    yield
    set_clock(None)


def members(key: str) -> list[str]:
    policy = make_policy()
    code = template(key).code
    return sorted(cid for cid, c in CUSTOMERS.items() if evaluate(code, c, policy).matched)


def test_the_six_templates_in_order() -> None:
    assert [t.name for t in TEMPLATES] == [
        "Recently Created", "Active Customers", "Inactive Customers", "Overage", "Hard Limit Imminent",
        "Negative Snapshot Margin",
    ]  # fmt: skip


def test_template_code_is_the_source_documents() -> None:
    assert template("recently_created").code == (
        "const ts: ms = Time.now() - 7days;\ncustomer.cloud_created != null && customer.cloud_created > ts"
    )
    assert template("negative_snapshot_margin").code == (
        "const snapshot = ?policy.customer_local_margin_breakdown(customer.id);\n(?snapshot.get('margin') ?? 0) < 0"
    )
    overage = template("overage").code.splitlines()
    assert overage[0] == "for (const field in customer.meters.fields()) {"
    assert "if (ent != null && ent.limit != null && ent.limit.mode == 'soft') {" in overage
    assert overage[-1] == "false"


@pytest.mark.parametrize("item", [*TEMPLATES, *EXAMPLES], ids=lambda t: t.key)
def test_every_template_and_example_compiles_without_errors(item: object) -> None:
    code = item.code  # type: ignore[attr-defined]
    compile(code)
    assert not [d for d in check(code) if d.severity == "error"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("recently_created", ["dave"]),
        ("active_customers", ["alice", "bob", "dave"]),
        ("inactive_customers", ["carol"]),
        ("overage", ["dave"]),
        ("hard_limit_imminent", ["alice"]),
        ("negative_snapshot_margin", ["alice", "dave"]),  # dave: overage revenue 4 < cost 6
        ("growth_or_enterprise", ["carol"]),
        ("org_only", ["carol"]),
        ("enterprise_orgs_20_seats", ["carol"]),
        ("metadata_tag", ["carol", "erin"]),
        ("active_grants", ["bob"]),
        ("high_value_approaching_limit", ["alice"]),
        ("pilot_tier", ["erin"]),
    ],
)
def test_templates_select_the_described_customers(key: str, expected: list[str]) -> None:
    assert members(key) == expected


def test_meter_templates_fail_without_meters_and_do_not_match() -> None:
    result = evaluate(template("overage").code, CUSTOMERS["erin"], make_policy())
    assert not result.matched
    assert result.error is not None
