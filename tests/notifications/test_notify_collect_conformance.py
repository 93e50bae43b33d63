"""A collector bound to the engine changes nothing the conformance corpus checks, and types every event it sees."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from segmentr.notifications import EventCollector
from segmentr.policy import Policy
from segmentr.policy.conformance import SCENARIO_CLOCK_MS, summarize_event

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "policy" / "scenarios.json"


def test_the_policy_corpus_passes_with_a_collector_and_every_event_is_typed() -> None:
    assert CORPUS.exists(), f"the policy conformance corpus is missing: {CORPUS}"
    scenarios = json.loads(CORPUS.read_text())["scenarios"]
    typed = 0
    for scenario in scenarios:
        policy = Policy.from_document({"policy": scenario["policy"]}, clock=lambda: SCENARIO_CLOCK_MS)
        seen: list[tuple[str, dict[str, Any]]] = []
        policy.subscribe(lambda name, payload, seen=seen: seen.append((name, payload)))
        collector = EventCollector("test", clock=policy.now)
        policy.subscribe(collector)
        for index, step in enumerate(scenario["steps"]):
            seen.clear()
            with contextlib.suppress(Exception):  # steps that raise still send (or not) their events
                getattr(policy, step["op"])(*step.get("args", []), **step.get("kwargs", {}))
            where = f"{scenario['id']} step {index}"
            assert [summarize_event(n, p) for n, p in seen] == step.get("events", []), where
            events = collector.drain()
            assert [e.type for e in events] == [n for n, _ in seen], where
            for event, (_, payload) in zip(events, seen):
                assert event.payload is payload and event.at == SCENARIO_CLOCK_MS
                expected = summarize_event(event.type, dict(payload)).get("customer")
                if isinstance(expected, str):
                    assert event.customer_id == expected, where
            typed += len(events)
    assert typed > 0
