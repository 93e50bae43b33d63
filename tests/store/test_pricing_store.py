"""The pricing-rule repository on both databases: migration 0004's tables and constraints, the history kept past
a deletion, the rule book's key (a rule change, a segment edit and a segment deletion each give a new one), and
customers' price overrides surviving a replacement by import."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, inspect

from segmentr.pricing import Price, PricingRule
from segmentr.store import AlreadyExists, Store, Workspace, pricing
from segmentr.store.tables import PricingRuleRow


def _rule(rule_id: str, segment: str, priority: int, amount: float = 0.001) -> PricingRule:
    return PricingRule(id=rule_id, name=rule_id, segment=segment, priority=priority,
                       overrides={"credit:token": Price({"amount": amount})})


def test_migration_creates_the_tables_and_columns(store: Store) -> None:
    inspector = inspect(store.engine)
    assert {"pricing_rules", "pricing_rule_versions"} <= set(inspector.get_table_names())
    assert "price_overrides" in {column["name"] for column in inspector.get_columns("customers")}
    assert "pricing_revision" in {column["name"] for column in inspector.get_columns("environments")}
    indexes = {index["name"]: index["column_names"] for index in inspector.get_indexes("customers")}
    assert indexes["ix_customers_price_overrides"] == ["environment_id"]  # partial: only customers with some
    unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("pricing_rules")}
    assert ("environment_id", "priority") in unique


def test_priority_is_unique_per_environment_in_the_database(store: Store) -> None:
    live, test = store.environment("live").id, store.environment("test").id
    row = {"name": "r", "segment_id": "seg_x", "priority": 1, "overrides": {}, "supersedes": None, "enabled": True,
           "version": 1, "created_at": 0, "updated_at": 0}
    with store.session(write=True) as session:
        session.execute(insert(PricingRuleRow), [{**row, "id": "prr_a", "environment_id": live},
                                                 {**row, "id": "prr_b", "environment_id": test}])
    with pytest.raises(AlreadyExists), store.session(write=True) as session:
        session.execute(insert(PricingRuleRow), [{**row, "id": "prr_c", "environment_id": live}])


def test_history_and_the_rule_book_key(store: Store, workspace: Workspace) -> None:
    live = store.environment("live").id
    segment = store.create_segment(workspace.id, name="S", condition="true")
    with store.session() as session:
        empty = pricing.pricing_key(session, live)
    with store.session(write=True) as session:
        pricing.create_rule(session=session, environment_id=live, rule=_rule("prr_one", segment.id, 1), now=5, by="a")
    with store.session() as session:
        created = pricing.pricing_key(session, live)
        test_key = pricing.pricing_key(session, store.environment("test").id)
    assert created != empty and test_key == empty  # the other environment's key is untouched
    store.update_segment(workspace.id, segment.id, condition="false")
    with store.session() as session:
        edited = pricing.pricing_key(session, live)
    assert edited != created
    with store.session(write=True) as session:
        pricing.update_rule(session=session, environment_id=live, rule=_rule("prr_one", segment.id, 2, 0.002), now=6,
                            by="b")
    with store.session() as session:
        changed = pricing.pricing_key(session, live)
    assert changed not in (created, edited)
    store.delete_segment(workspace.id, segment.id)
    with store.session() as session:
        gone = pricing.pricing_key(session, live)
        book = pricing.book_for(session, live, gone, store.rule_books)
    assert gone != changed
    assert book.rules[0].matches is None  # the segment is gone: the rule never matches
    with store.session(write=True) as session:
        pricing.delete_rule(session=session, environment_id=live, rule_id="prr_one", now=7, by="c")
    with store.session() as session:
        history = pricing.rule_history(session=session, environment_id=live, rule_id="prr_one")
        assert pricing.list_rules(session=session, environment_id=live) == []
    assert [(v.version, v.action, v.changed_at, v.changed_by) for v in history] == [
        (1, "created", 5, "a"), (2, "updated", 6, "b"), (3, "deleted", 7, "c")]
    assert history[1].fields["overrides"] == {"credit:token": {"amount": 0.002}}


def test_price_overrides_stay_with_the_customer(store: Store) -> None:
    store.put_policy("live", {"policy": {"credits": {"token": {"price": {"amount": 0.01}}},
                                         "plans": {"p": {"default": True, "entitlements": {}}}}})
    store.create_customer("live", {"id": "c1", "plan": "p"})
    live = store.environment("live").id
    with store.session(write=True) as session:
        pricing.set_price_overrides(session=session, environment_id=live, customer_id="c1",
                                    overrides={"credit:token": {"amount": 0.005}}, now=1)
    store.import_customer_dicts("live", [{"id": "c1", "plan": "p", "label": "renamed"}])
    with store.session() as session:
        assert pricing.get_price_overrides(session=session, environment_id=live, customer_id="c1") == {
            "credit:token": {"amount": 0.005}}
        assert pricing.overrides_in_environment(session=session, environment_id=live) == {
            "c1": {"credit:token": {"amount": 0.005}}}
    assert "price_overrides" not in store.get_customer("live", "c1")  # not part of the Limitr record
    with store.session(write=True) as session:
        pricing.set_price_overrides(session=session, environment_id=live, customer_id="c1", overrides={}, now=2)
    with store.session() as session:
        assert pricing.overrides_in_environment(session=session, environment_id=live) == {}
