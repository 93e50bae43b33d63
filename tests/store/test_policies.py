"""Versioned policies per environment: validated before storing, the live one is the highest version."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from store_fixtures import TINY_POLICY

from segmentr.store import ImportFailed, InvalidData, NoPolicy, Store


def test_put_policy_versions_and_live_policy(store: Store) -> None:
    live = store.environment("live")
    with pytest.raises(NoPolicy):
        store.policy_version(live)
    assert store.put_policy(live, TINY_POLICY) == 1
    changed = copy.deepcopy(TINY_POLICY)
    changed["policy"]["plans"]["free"]["entitlements"]["api"]["limit"]["value"] = 5
    assert store.put_policy(live, changed) == 2
    assert store.policy_versions(live) == [1, 2]
    assert store.policy_version(live).version == 2
    assert store.policy_version(live, 1).document["plans"]["free"]["entitlements"]["api"]["limit"]["value"] == 1000
    policy = store.live_policy(live)
    assert policy.entitlement("anyone", "api")["limit"]["value"] == 5


def test_live_policy_is_cached_per_version(store: Store) -> None:
    live = store.environment("live")
    store.put_policy(live, TINY_POLICY)
    assert store.live_policy(live) is store.live_policy(live)
    before = store.live_policy(live)
    store.put_policy(live, TINY_POLICY)
    assert store.live_policy(live) is not before


def test_environments_have_separate_policies(store: Store) -> None:
    store.put_policy("test", TINY_POLICY)
    assert store.policy_versions("test") == [1]
    assert store.policy_versions("live") == []


def test_invalid_policy_is_refused_and_not_stored(store: Store) -> None:
    broken = {"policy": {"plans": {"free": {"entitlements": {"api": {"limit": {"credit": "nope"}}}}}}}
    with pytest.raises(InvalidData, match="nope"):
        store.put_policy("live", broken)
    assert store.policy_versions("live") == []


def test_policy_customers_go_to_the_customers_table(store: Store) -> None:
    document = copy.deepcopy(TINY_POLICY)
    document["policy"]["customers"] = {
        "alice": {"plan": "free", "metadata": {"crm": "x"}, "cloud_created": 5, "cloud_updated": 6}
    }
    store.put_policy("live", document)
    assert "customers" not in store.policy_version("live").document
    alice = store.get_customer("live", "alice")
    assert (alice["metadata"], alice["cloud_created"], alice["cloud_updated"]) == ({"crm": "x"}, 5, 6)


def test_import_policy_json_and_yaml(store: Store, tmp_path: Path) -> None:
    import yaml

    as_json = tmp_path / "policy.json"
    as_json.write_text(json.dumps(TINY_POLICY))
    as_yaml = tmp_path / "policy.yaml"
    as_yaml.write_text(yaml.safe_dump(TINY_POLICY))
    assert store.import_policy("test", as_json) == 1
    assert store.import_policy("test", as_yaml) == 2
    assert store.policy_version("test", 2).document == store.policy_version("test", 1).document


def test_import_policy_reports_bad_files(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{ this is not json: [")
    with pytest.raises(ImportFailed, match=r"bad\.json"):
        store.import_policy("test", bad)
    with pytest.raises(ImportFailed, match="no such file"):
        store.import_policy("test", tmp_path / "missing.json")
