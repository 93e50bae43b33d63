"""Hostile customer data on both databases: every bad record refused with its file, line and path, nothing
stored; encodings, byte-order marks, NaN/Infinity and repeated ids answered the same way in every format; a
policy and the customers it carries commit together or not at all."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from store_fixtures import TINY_POLICY

from segmentr.store import ImportFailed, InvalidData, Store


@pytest.fixture
def live(store: Store) -> Store:
    store.put_policy("live", TINY_POLICY)
    return store


def _file(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


BAD_RECORDS = [
    ('{"id": "c1", "meters": {"e": "lots"}}', "customers.c1.meters.e: expected an object"),
    ('{"id": "c1", "meters": {"api": {"credit": "request", "started": 1}}}',
     "customers.c1.meters.api.value: expected a number"),
    ('{"id": "c1", "plan": "gold"}', 'customers.c1.plan: unknown plan "gold"'),
    ('{"id": "c1", "grants": {"g1": {"credit": "nope", "value": 3}}}', "customers.c1.grants.g1.credit: unknown credit"),
    ('{"id": "c1", "overrides": {"api": {"credit": "request", "mode": "loud"}}}',
     "customers.c1.overrides.api.mode: expected one of hard, soft, observe"),
    ('{"id": "c1", "metadata": {"n": 18446744073709551615}, "cloud_created": 9223372036854775808}',
     "customers.c1.cloud_created: integer out of the 64-bit range"),
    ('{"id": "' + "x" * 300 + '"}', "customer.id: at most 255 characters, got 300"),
    ('{"id": "c1", "label": "' + "y" * 501 + '"}', "customers.c1.label: at most 500 characters, got 501"),
    ('{"id": "c1", "metadata": {"x": NaN}}', "not valid JSON: NaN and Infinity are not JSON numbers"),
]


@pytest.mark.parametrize(("record", "message"), BAD_RECORDS)
def test_a_bad_record_names_file_line_and_path_and_imports_nothing(
    live: Store, tmp_path: Path, record: str, message: str
) -> None:
    path = _file(tmp_path, "c.jsonl", '{"id": "ok", "plan": "free"}\n' + record + "\n")
    with pytest.raises(ImportFailed) as caught:
        live.import_customers("live", path)
    assert str(caught.value).splitlines()[0] == f"{path}:2: {message}" or str(caught.value).startswith(
        f"{path}:2: {message}"
    ), str(caught.value)
    assert live.count_customers("live") == 0


def test_the_same_checks_in_a_json_array_and_a_csv(live: Store, tmp_path: Path) -> None:
    array = _file(tmp_path, "c.json", json.dumps([{"id": "ok"}, {"id": "c1", "meters": {"e": "lots"}}]))
    with pytest.raises(ImportFailed, match=r"c\.json\[1\]: customers\.c1\.meters\.e: expected an object"):
        live.import_customers("live", array)
    table = _file(tmp_path, "c.csv", 'id,meters\nok,\nc1,"{""e"": ""lots""}"\n')
    with pytest.raises(ImportFailed, match=r"c\.csv:3: customers\.c1\.meters\.e: expected an object"):
        live.import_customers("live", table)
    assert live.count_customers("live") == 0


def test_writes_are_checked_like_imports(live: Store) -> None:
    with pytest.raises(InvalidData, match=r"^customers\.c1\.meters\.e: expected an object"):
        live.create_customer("live", {"id": "c1", "meters": {"e": "lots"}})
    with pytest.raises(InvalidData, match=r"customer\.id: at most 255 characters"):
        live.create_customer("live", {"id": "x" * 1_000_000})
    with pytest.raises(InvalidData, match='unknown plan "gold"'):
        live.create_customer("live", {"id": "c1", "plan": "gold"})
    live.create_customer("live", {"id": "c1", "plan": "free"})
    with pytest.raises(InvalidData, match=r"customers\.c1\.meters\.e: expected an object"):
        live.update_customer("live", "c1", meters={"e": "lots"})
    with pytest.raises(InvalidData, match="expected a finite number"):
        live.update_customer("live", "c1", metadata={"score": float("nan")})
    with pytest.raises(InvalidData, match="integer out of the 64-bit range"):
        live.import_customer_dicts("live", [{"id": "c2", "metadata": {"big": 10**30}}])
    assert live.get_customer("live", "c1")["meters"] == {} and live.count_customers("live") == 1


def test_a_policy_and_its_carried_customers_commit_together(store: Store, tmp_path: Path) -> None:
    document = copy.deepcopy(TINY_POLICY)
    document["policy"]["customers"] = {
        "alice": {"plan": "free"},
        "bob": {"plan": "pro", "meters": {"e": "lots"}},
        "carol": {"plan": "gold"},
    }
    path = _file(tmp_path, "policy.json", json.dumps(document))
    with pytest.raises(ImportFailed) as caught:
        store.import_policy("live", path)
    lines = str(caught.value).splitlines()
    assert lines == [
        f"{path}: customers.bob.meters.e: expected an object {{credit, started, value, …}}, got \"lots\"",
        f"{path}: customers.carol.plan: unknown plan \"gold\" (the policy's plans: free, pro)",
    ]
    assert store.policy_versions("live") == [] and store.count_customers("live") == 0
    del document["policy"]["customers"]["bob"], document["policy"]["customers"]["carol"]
    assert store.import_policy("live", _file(tmp_path, "policy.json", json.dumps(document))) == 1
    assert store.count_customers("live") == 1 and store.get_customer("live", "alice")["plan"] == "free"


def test_a_failing_carried_customer_write_leaves_no_version(store: Store) -> None:
    # valid as a record, refused by the database (NUL in text): the version must not commit on its own
    document = copy.deepcopy(TINY_POLICY)
    document["policy"]["customers"] = {"alice": {"plan": "free", "label": "a\x00b"}}
    with pytest.raises(InvalidData, match="NUL"):
        store.put_policy("live", document)
    assert store.policy_versions("live") == []


LATIN1_CSV = "id,label,metadata.city\nc1,Zoë,Zürich\nc2,Renée,Besançon\n".encode("latin-1")


def test_a_latin1_csv_names_the_line_and_imports_with_its_encoding(live: Store, tmp_path: Path) -> None:
    path = _file(tmp_path, "export.csv", LATIN1_CSV)
    with pytest.raises(ImportFailed, match=r"export\.csv:2: not utf-8 text \(byte 0xeb at column 6\).*--encoding"):
        live.import_customers("live", path)
    assert live.count_customers("live") == 0
    assert live.import_customers("live", path, encoding="latin-1").count == 2
    assert live.get_customer("live", "c2")["label"] == "Renée"
    assert live.get_customer("live", "c2")["metadata"] == {"city": "Besançon"}
    with pytest.raises(ImportFailed, match="unknown encoding 'klingon'"):
        live.import_customers("live", path, encoding="klingon")
    with pytest.raises(ImportFailed, match="JSON is always UTF-8"):
        live.import_customers("live", _file(tmp_path, "c.jsonl", '{"id": "x"}\n'), encoding="latin-1")


def test_non_utf8_json_names_the_line(live: Store, tmp_path: Path) -> None:
    path = _file(tmp_path, "c.jsonl", b'{"id": "a"}\n{"id": "Zo\xeb"}\n')
    with pytest.raises(ImportFailed, match=r"c\.jsonl:2: not UTF-8 text"):
        live.import_customers("live", path)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("c.jsonl", '{"id": "a", "plan": "free"}\n{"id": "b"}\n'),
        ("c.json", '[{"id": "a", "plan": "free"}, {"id": "b"}]'),
        ("c.csv", "id,plan\na,free\nb,\n"),
        ("noext", '{"id": "a", "plan": "free"}\n{"id": "b"}\n'),
    ],
)
def test_a_utf8_byte_order_mark_is_skipped_in_every_format(
    live: Store, tmp_path: Path, name: str, content: str
) -> None:
    path = _file(tmp_path, name, b"\xef\xbb\xbf" + content.encode())
    assert live.import_customers("live", path).count == 2
    assert live.get_customer("live", "a")["plan"] == "free"


def test_a_byte_order_mark_in_a_policy_and_utf16_refused(store: Store, tmp_path: Path) -> None:
    path = _file(tmp_path, "p.json", b"\xef\xbb\xbf" + json.dumps(TINY_POLICY).encode())
    assert store.import_policy("live", path) == 1
    utf16 = _file(tmp_path, "c.csv", "id\na\n".encode("utf-16"))
    with pytest.raises(ImportFailed, match=r"c\.csv:1: the file is UTF-16 text: save it as UTF-8"):
        store.import_customers("live", utf16)


def test_nan_and_infinity(live: Store, tmp_path: Path) -> None:
    for text in ('{"id": "a", "metadata": {"x": Infinity}}', '{"id": "a", "meters": {"e": {"started": 1, "value": NaN}}}'):
        with pytest.raises(ImportFailed, match=r"c\.jsonl:1: not valid JSON: NaN and Infinity are not JSON numbers"):
            live.import_customers("live", _file(tmp_path, "c.jsonl", text + "\n"))
    with pytest.raises(ImportFailed, match=r"c\.json: not valid JSON: NaN and Infinity"):
        live.import_customers("live", _file(tmp_path, "c.json", '[{"id": "a", "metadata": {"x": NaN}}]'))
    with pytest.raises(ImportFailed, match=r"c\.csv:2: column meters: not valid JSON: NaN and Infinity"):
        live.import_customers("live", _file(tmp_path, "c.csv", 'id,meters\na,"{""e"": NaN}"\n'))
    # a metadata cell is JSON only when it is strict JSON: NaN, Infinity and 1e999 stay the text they are
    live.import_customers("live", _file(tmp_path, "c.csv", "id,metadata.a,metadata.b,metadata.c\nx,NaN,-Infinity,1e999\n"))
    assert live.get_customer("live", "x")["metadata"] == {"a": "NaN", "b": "-Infinity", "c": "1e999"}


@pytest.mark.parametrize("name", ["c.jsonl", "c.csv"])
def test_a_repeated_id_in_one_file_the_later_record_wins(live: Store, tmp_path: Path, name: str) -> None:
    if name.endswith(".csv"):
        content = "id,label\n" + "".join(f"c{i},first\n" for i in range(5)) + "c1,second\nc4,second\n"
    else:
        content = "".join(json.dumps({"id": f"c{i}", "label": "first"}) + "\n" for i in range(5))
        content += '{"id": "c1", "label": "second"}\n{"id": "c4", "label": "second"}\n'
    path = _file(tmp_path, name, content)
    live.import_customers("live", path, batch_size=2)  # the repeats cross batch boundaries
    assert live.count_customers("live") == 5
    assert [live.get_customer("live", f"c{i}")["label"] for i in range(5)] == [
        "first", "second", "first", "first", "second"
    ]


def test_large_file_reader_process_checks_plans_too(
    live: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from segmentr.store import importing

    monkeypatch.setattr(importing, "PROCESS_READER_BYTES", 0)  # every file goes through the reader process
    path = _file(tmp_path, "c.csv", "id,plan\na,free\nb,gold\n".encode("latin-1"))
    with pytest.raises(ImportFailed, match=r"c\.csv:3: customers\.b\.plan: unknown plan \"gold\""):
        live.import_customers("live", path, encoding="latin-1")
    assert live.count_customers("live") == 0
