"""Customer imports (JSON lines, JSON array, CSV): formats, timestamps kept or set, upserts, all-or-nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from store_fixtures import ManualClock

from segmentr.sample import generate_customers
from segmentr.store import ImportFailed, Store

NOW = 1_760_000_000_000


def _write_jsonl(path: Path, customers: list[dict]) -> Path:
    path.write_text("".join(json.dumps(customer) + "\n" for customer in customers))
    return path


def test_jsonl_import_round_trips_generated_customers(store: Store, tmp_path: Path) -> None:
    customers = list(generate_customers(300, seed=3, now_ms=NOW))
    progress: list[tuple[int, int, int | None]] = []
    result = store.import_customers(
        "live", _write_jsonl(tmp_path / "c.jsonl", customers), batch_size=100,
        progress=lambda *args: progress.append(args),
    )
    assert result.count == 300 and store.count_customers("live") == 300
    for customer in customers[::37]:
        assert store.get_customer("live", customer["id"]) == customer  # timestamps kept as given
    assert [done for done, _, _ in progress] == [100, 200, 300]
    assert progress[-1][1] == progress[-1][2] == (tmp_path / "c.jsonl").stat().st_size


def test_json_array_and_stream_input(store: Store) -> None:
    data = json.dumps([{"id": "a", "plan": "free"}, {"id": "b", "metadata": {"x": 1}}]).encode()
    assert store.import_customers("test", io.BytesIO(data)).count == 2
    assert store.get_customer("test", "b")["metadata"] == {"x": 1}


def test_missing_timestamps_are_set_to_now(store: Store, clock: ManualClock, tmp_path: Path) -> None:
    store.import_customers("live", _write_jsonl(tmp_path / "c.jsonl", [{"id": "a"}, {"id": "b", "cloud_created": 7}]))
    a, b = store.get_customer("live", "a"), store.get_customer("live", "b")
    assert a["cloud_created"] == a["cloud_updated"] == clock.now
    assert (b["cloud_created"], b["cloud_updated"]) == (7, clock.now)


def test_csv_with_metadata_columns(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "id,plan,type,label,metadata.email,metadata.seats,metadata.vip,meters,cloud_created\n"
        'c1,growth,org,Acme,ops@acme.io,12,true,"{""api"": {""credit"": ""request"", ""started"": 1, ""value"": 3}}",5\n'
        "c2,free,user,Bob,,,,,\n"
    )
    assert store.import_customers("live", path).count == 2
    c1, c2 = store.get_customer("live", "c1"), store.get_customer("live", "c2")
    assert c1["metadata"] == {"email": "ops@acme.io", "seats": 12, "vip": True}
    assert c1["meters"]["api"]["value"] == 3 and c1["cloud_created"] == 5
    assert (c1["plan"], c1["type"], c1["label"]) == ("growth", "org", "Acme")
    assert c2["metadata"] is None


def test_reimport_updates_and_keeps_the_older_creation_date(store: Store, tmp_path: Path) -> None:
    store.import_customers("live", _write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "plan": "free", "cloud_created": 10}]))
    store.import_customers("live", _write_jsonl(tmp_path / "b.jsonl", [{"id": "a", "plan": "pro"}]))
    customer = store.get_customer("live", "a")
    assert customer["plan"] == "pro" and customer["cloud_created"] == 10
    assert store.count_customers("live") == 1


def test_repeated_id_in_one_file_keeps_the_last(store: Store, tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "plan": "free"}, {"id": "a", "plan": "pro"}])
    store.import_customers("live", path)
    assert store.get_customer("live", "a")["plan"] == "pro"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "a"}\n{"id": \n', r"c\.jsonl:2: not valid JSON"),
        ('{"id": "a"}\n{"plan": "free"}\n', r"c\.jsonl:2: a customer needs a non-empty string id"),
        ('{"id": "a", "meters": [1]}\n', "meters must be an object"),
        ('{"id": "a", "cloud_created": "yesterday"}\n', "cloud_created must be integer epoch milliseconds"),
        ('{"id": "a", "metadata": "x"}\n', "metadata must be an object or null"),
    ],
)
def test_bad_records_fail_with_their_line_and_import_nothing(
    store: Store, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(content)
    with pytest.raises(ImportFailed, match=message):
        store.import_customers("live", path, batch_size=1)
    assert store.count_customers("live") == 0


def test_unknown_format(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text("hello")
    with pytest.raises(ImportFailed, match="cannot tell the format"):
        store.import_customers("live", path)


def test_large_files_are_read_by_a_reader_process(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from segmentr.store import importing

    monkeypatch.setattr(importing, "PROCESS_READER_BYTES", 0)  # every file counts as large
    customers = list(generate_customers(249, seed=4, now_ms=NOW))
    awkward = {"id": "cus_awkward\\1", "label": "Tab\there\nnew line \\ back", "plan": "free"}
    awkward["metadata"] = {"note": 'quote " and \\ and \n and \t', "ünï": "cödé"}
    customers.append({**customers[0], **awkward})
    progress: list[int] = []
    result = store.import_customers(
        "live", _write_jsonl(tmp_path / "c.jsonl", customers), batch_size=100,
        progress=lambda done, read, total: progress.append(done),
    )
    assert result.count == 250 and progress == [100, 200, 250]
    assert store.get_customer("live", customers[-1]["id"]) == customers[-1]
    assert store.get_customer("live", customers[5]["id"]) == customers[5]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "z1"}\n{"id": "z2", "refs": "nope"}\n')
    with pytest.raises(ImportFailed, match=r"bad\.jsonl:2: customer z2: refs must be a list of strings"):
        store.import_customers("live", bad)
    assert store.count_customers("live") == 250
