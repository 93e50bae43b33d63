"""The dashboard's delete confirmation names the pricing rules that use the segment; confirming deletes it (with
force) and the rule is then flagged `segment_deleted`. The real application in-process over a SQLite file."""

from __future__ import annotations

import re
from pathlib import Path

from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from segmentr.api import ApiSettings, create_app
from segmentr.sample import generate_customers, sample_policy
from segmentr.service import SegmentInput, Services
from segmentr.store import Store

PASSWORD = "correct horse battery staple"


def test_the_delete_page_lists_pricing_rules_and_deletes_with_force(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'segmentr.db'}") as store:
        store.init()
        store.put_policy("live", sample_policy())
        store.import_customer_dicts("live", generate_customers(10, seed=3, now_ms=1_760_000_000_000))
        services = Services(store, password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        owner = services.local_owner()
        assert owner.member_id is not None
        services.members(owner).set_password(owner.member_id, PASSWORD)
        segment = services.segments(owner).create(SegmentInput(name="Growth", condition='customer.plan == "growth"'))
        rule = services.pricing(owner).create("live", {"name": "Growth <discount>", "segment": segment.id,
                                                       "priority": 1, "overrides": {"credit:api_request": {"amount": 0.0001}}})
        grant = services.sign_in(services.members(owner).get(owner.member_id).email, PASSWORD)
        with TestClient(create_app(ApiSettings(rate_per_second=0), services=services)) as client:
            client.cookies.set("segmentr_session", grant.token)
            page = client.get(f"/segments/{segment.id}/delete")
            assert page.status_code == 200
            listed = page.text.split('data-reference-type="pricing_rule"', 1)[-1]
            assert 'data-reference-type="pricing_rule"' in page.text and "Pricing rule (1)" in listed
            # escaped, with its environment, linked to its edit page (the environment shown is its own)
            assert (f'<li><a href="/policy/pricing-rules/{rule.rule.id}/edit">Growth &lt;discount&gt;</a> '
                    '<span class="muted">(live)</span></li>') in listed
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token is not None
            done = client.post(f"/segments/{segment.id}/delete", data={"csrf_token": token.group(1)},
                               follow_redirects=False)
            assert done.status_code == 303
        assert services.pricing(owner).get("live", rule.rule.id).segment_deleted
