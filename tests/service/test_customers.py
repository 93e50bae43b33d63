"""Customer use cases on both databases: filtered keyset lists, show with margin, create-or-replace, patch,
remove, topups and streamed exports."""

from __future__ import annotations

import json

import pytest

from segmentr.errors import InvalidInput, NotFound
from segmentr.service import Actor, CustomerService, SegmentInput, Services
from segmentr.store import Store


@pytest.fixture
def customers(services: Services, owner: Actor) -> CustomerService:
    return services.customers(owner)


def _all_pages(customers: CustomerService, **filters: object) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    while True:
        page = customers.list("live", starting_after=after, limit=7, **filters)  # type: ignore[arg-type]
        pages.append([c["id"] for c in page.data])
        if not page.has_more:
            return pages
        after = page.data[-1]["id"]


def test_lists_are_keyset_pages_with_filters(customers: CustomerService, store: Store) -> None:
    everyone = [c["id"] for c in store.list_customers("live", limit=1000)]
    assert [i for page in _all_pages(customers) for i in page] == everyone

    growth = [c["id"] for c in store.list_customers("live", limit=1000) if c["plan"] == "growth"]
    assert growth and [i for page in _all_pages(customers, plan="growth") for i in page] == growth

    assert [c["id"] for c in customers.list("live", q="cus_000001").data] == [f"cus_000001{n}" for n in range(10)]
    labelled = store.list_customers("live", limit=1)[0]
    assert labelled["id"] in [c["id"] for c in customers.list("live", q=labelled["label"][:4], limit=100).data]
    assert customers.list("live", q="%").data == []
    with pytest.raises(InvalidInput):
        customers.list("live", limit=0)


def test_a_segment_filter_keeps_its_members(customers: CustomerService, services: Services, owner: Actor) -> None:
    segment = services.segments(owner).create(SegmentInput(name="orgs", condition='customer.type == "org"'))
    members = services.segments(owner).members(segment.id, "live", page_size=1000).ids
    listed = [i for page in _all_pages(customers, segment="orgs") for i in page]
    assert members and listed == members
    on_plan = [c["id"] for c in customers.list("live", segment=segment.id, plan="growth", limit=100).data]
    assert set(on_plan) <= set(members)


def test_show_put_patch_remove(customers: CustomerService, store: Store) -> None:
    created, was_new = customers.put("live", {"id": "acme", "plan": "growth", "label": "Acme"})
    assert was_new and created["cloud_created"] == created["cloud_updated"]
    replaced, was_new = customers.put("live", {"id": "acme", "plan": "starter", "metadata": {"email": "a@acme.io"}})
    assert not was_new and replaced["label"] == "User" and replaced["cloud_created"] == created["cloud_created"]
    assert customers.list("live", q="a@acme").data[0]["id"] == "acme"

    detail = customers.get("live", "acme")
    assert detail.customer["plan"] == "starter" and detail.margin is not None

    patched = customers.patch("live", "acme", {"plan": "growth", "label": "Acme Inc"})
    assert (patched["plan"], patched["label"]) == ("growth", "Acme Inc")
    assert store.get_customer("live", "acme")["plan"] == "growth"
    with pytest.raises(InvalidInput) as refused:
        customers.patch("live", "acme", {"plan": "platinum"})
    assert refused.value.field == "plan"
    with pytest.raises(InvalidInput) as refused:
        customers.patch("live", "acme", {"meters": {}})
    assert refused.value.field == "meters"
    with pytest.raises(InvalidInput):
        customers.patch("live", "acme", {"label": 3})

    customers.remove("live", "acme")
    with pytest.raises(NotFound):
        customers.get("live", "acme")
    with pytest.raises(NotFound):
        customers.patch("live", "acme", {"label": "x"})


def test_a_topup_grants_and_says_the_price(customers: CustomerService) -> None:
    customers.put("live", {"id": "buyer", "plan": "growth"})
    granted = customers.topup("live", "buyer", "tokens_1m")
    assert granted.grant and granted.topup == "tokens_1m"
    assert len(customers.get("live", "buyer").customer["grants"]) >= 1
    with pytest.raises(InvalidInput):
        customers.topup("live", "buyer", "no_such_topup")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_exports_stream_every_customer(customers: CustomerService, store: Store, fmt: str) -> None:
    chunks = list(customers.export("live", fmt=fmt))
    text = "".join(chunks)
    if fmt == "jsonl":
        assert [json.loads(line)["id"] for line in text.splitlines()] == [
            c["id"] for c in store.list_customers("live", limit=1000)
        ]
    else:
        assert text.splitlines()[0].startswith("id,plan,type,label")
        assert len(text.splitlines()) == store.count_customers("live") + 1
    with pytest.raises(InvalidInput):
        customers.export("live", fmt="xml")
