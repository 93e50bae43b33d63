"""Shared helpers of the service tests: expected members straight from the evaluator, and paging to the end."""

from __future__ import annotations

from segmentr.segments import evaluate
from segmentr.service import SegmentService
from segmentr.store import Store

# Pushed down to SQL, and one the translator cannot state (it reads meters and the policy): streamed.
SQL_CONDITION = 'customer.plan == "growth" || customer.plan == "enterprise"'
STREAM_CONDITION = (
    '(?customer.meters.api_requests.value ?? 0) > 500 && ?policy.entitlement(customer.id, "api_requests") != null'
)
FAILING_CONDITION = "customer.plan.nope()"


def expected_members(store: Store, condition: str, env: str) -> list[str]:
    """Every matching customer id in id order, by evaluating each customer one at a time."""
    source = store.customers()
    policy = source.policy(env)
    return sorted(
        customer["id"]
        for batch in source.stream(env, 1000)
        for customer in batch
        if evaluate(condition, customer, policy).matched
    )


def all_pages(service: SegmentService, segment: str, env: str, page_size: int) -> list[list[str]]:
    """Every page of the segment's members, following the cursor until the last page."""
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        page = service.members(segment, env, cursor=cursor, page_size=page_size)
        pages.append(page.ids)
        if page.next_cursor is None:
            return pages
        assert page.next_cursor == page.ids[-1]
        cursor = page.next_cursor
