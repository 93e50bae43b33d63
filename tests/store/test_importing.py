"""Customer imports (JSON lines, JSON array, CSV): formats, timestamps kept or set, upserts, all-or-nothing."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_fixtures import ManualClock

from segmentr.sample import generate_customers
from segmentr.store import ImportFailed, InvalidData, Store
from segmentr.store.db import translate_errors

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
        ('{"id": "a"}\n{"plan": "free"}\n', r"c\.jsonl:2: customer\.id: expected a non-empty string, got null"),
        ('{"id": "a", "meters": [1]}\n', r"c\.jsonl:1: customers\.a\.meters: expected an object"),
        ('{"id": "a", "cloud_created": "yesterday"}\n',
         r"c\.jsonl:1: customers\.a\.cloud_created: expected integer epoch milliseconds"),
        ('{"id": "a", "metadata": "x"}\n', r"c\.jsonl:1: customers\.a\.metadata: expected an object or null"),
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
    with pytest.raises(ImportFailed, match=r"bad\.jsonl:2: customers\.z2\.refs: expected a list of strings"):
        store.import_customers("live", bad)
    assert store.count_customers("live") == 250


# ---------------------------------------------------------------- the reader process's encodings, both databases


AWKWARD_CUSTOMERS = [
    {"id": "tab\there", "label": "carriage\rreturn", "metadata": None, "refs": ["back\\slash"]},
    {"id": "new\nline", "plan": "pro", "metadata": None},
    {"id": "nul \\N text", "label": "\\N", "metadata": {"note": "\\N", "tab": "a\tb"}},
    {"id": "big-number", "meters": {"api": {"credit": "request", "started": 1, "value": 2**70}}},
    {"id": "ünïcödé ✓", "label": "日本語", "metadata": {"ключ": "значение"}, "alt_ids": ["α", "β"]},
    {"id": "empty-things", "alt_ids": [], "refs": [], "caps": {}, "metadata": {}},
    {"id": 12345, "plan": None},  # the careful path: an integer id becomes a string, a null plan the default
]


def test_reader_process_round_trips_awkward_values(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from segmentr.store import importing

    monkeypatch.setattr(importing, "PROCESS_READER_BYTES", 0)
    path = tmp_path / "awkward.jsonl"
    lines = [json.dumps(c, ensure_ascii=False).encode() + b"\n" for c in AWKWARD_CUSTOMERS]
    lines.insert(2, b"  \n\n")  # blank lines are skipped
    path.write_bytes(b"".join(lines))
    assert store.import_customers("live", path, batch_size=3).count == len(AWKWARD_CUSTOMERS)
    for raw in AWKWARD_CUSTOMERS[:-1]:
        customer = store.get_customer("live", str(raw["id"]))
        for key, value in raw.items():
            assert customer[key] == value, (raw["id"], key)
    assert store.get_customer("live", "12345")["plan"] == ""


def test_reader_process_upserts_ids_repeated_in_later_batches(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from segmentr.store import importing

    monkeypatch.setattr(importing, "PROCESS_READER_BYTES", 0)
    records = [{"id": f"c{i}", "plan": "free", "cloud_created": 100 + i} for i in range(10)]
    records += [{"id": "c1", "plan": "pro", "cloud_created": 500}, {"id": "c2", "plan": "pro", "cloud_created": 5}]
    result = store.import_customers("live", _write_jsonl(tmp_path / "c.jsonl", records), batch_size=4)
    assert result.count == 12 and store.count_customers("live") == 10
    c1, c2 = store.get_customer("live", "c1"), store.get_customer("live", "c2")
    assert (c1["plan"], c1["cloud_created"]) == ("pro", 101)  # the older creation date is kept
    assert (c2["plan"], c2["cloud_created"]) == ("pro", 5)


# ---------------------------------------------------------------- PostgreSQL: indexes rebuilt after a big import


def _customers_schema(store: Store) -> dict[str, object]:
    """The customers table's indexes (definitions and oids) and constraints, read from the catalog."""
    with store.engine.connect() as connection:
        indexes = connection.exec_driver_sql(
            "SELECT pg_get_indexdef(indexrelid), indexrelid::int FROM pg_index "
            "WHERE indrelid = 'customers'::regclass ORDER BY 1"
        ).all()
        constraints = connection.exec_driver_sql(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'customers'::regclass ORDER BY 1"
        ).all()
    return {
        "index definitions": [definition for definition, _ in indexes],
        "index oids": [oid for _, oid in indexes],
        "constraints": [tuple(row) for row in constraints],
    }


def _rebuild_plan_size(schema: dict[str, object]) -> int:
    """What a rebuild drops and makes again: every secondary index (all but the primary key) and the one foreign
    key (counted from the catalog, so an index a later migration adds is counted too)."""
    definitions = schema["index definitions"]
    assert isinstance(definitions, list)
    return sum(1 for definition in definitions if "customers_pkey" not in definition) + 1


def _everything(store: Store, env: str) -> list[dict]:
    return store.list_customers(env, limit=100_000)


@pytest.fixture
def pg_store(fresh_postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A PostgreSQL store on which every file import takes the reader process and may take the rebuild path."""
    from segmentr.store import import_postgres, importing

    monkeypatch.setattr(importing, "PROCESS_READER_BYTES", 0)
    monkeypatch.setattr(import_postgres, "REBUILD_MIN_BYTES", 0)
    with Store(fresh_postgres_url, clock=ManualClock(NOW)) as opened:
        opened.init()
        yield opened


@pytest.fixture
def rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many statements each import's rebuild plan held (0: indexes maintained, not rebuilt)."""
    from segmentr.store import import_postgres

    seen: list[int] = []
    drop_for_rebuild = import_postgres._drop_for_rebuild

    def recording(cursor: object, incoming_bytes: int, environment_id: int) -> list[object]:
        plan = drop_for_rebuild(cursor, incoming_bytes, environment_id)
        seen.append(len(plan))
        return plan

    monkeypatch.setattr(import_postgres, "_drop_for_rebuild", recording)
    return seen


@pytest.mark.postgres
def test_big_postgres_import_rebuilds_indexes_and_foreign_keys(
    pg_store: Store, tmp_path: Path, rebuilds: list[int]
) -> None:
    before = _customers_schema(pg_store)
    customers = list(generate_customers(400, seed=5, now_ms=NOW))
    assert pg_store.import_customers("live", _write_jsonl(tmp_path / "c.jsonl", customers), batch_size=64).count == 400
    after = _customers_schema(pg_store)
    # the secondary indexes (at least the five of the first schema) and one foreign key dropped and made again;
    # the primary key kept throughout
    plan = _rebuild_plan_size(before)
    assert plan >= 6 and rebuilds == [plan]
    assert after["index definitions"] == before["index definitions"]
    assert after["constraints"] == before["constraints"]
    assert len(set(after["index oids"]) - set(before["index oids"])) == plan - 1
    assert _everything(pg_store, "live") == sorted(customers, key=lambda c: c["id"])
    # the rebuilt table is now bigger than a small file: the next import maintains the indexes instead
    pg_store.import_customers("live", _write_jsonl(tmp_path / "one.jsonl", [{"id": "late", "plan": "pro"}]))
    assert rebuilds == [plan, 0] and _customers_schema(pg_store) == after
    # the foreign key is back: a customer of no environment is refused
    with pytest.raises(InvalidData), translate_errors(), pg_store.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO customers (environment_id, id, plan, type, label, alt_ids, refs, overrides, caps, "
            "grants, meters, cloud_created, cloud_updated) "
            "VALUES (999999, 'x', '', 'user', 'User', '[]', '[]', '{}', '{}', '{}', '{}', 0, 0)"
        )


@pytest.mark.postgres
@pytest.mark.parametrize("env", ["live", "test"], ids=["upsert into a filled environment", "into an empty one"])
def test_failure_late_in_a_big_postgres_import_leaves_everything_as_before(
    pg_store: Store, tmp_path: Path, rebuilds: list[int], env: str
) -> None:
    existing = list(generate_customers(60, seed=6, now_ms=NOW))
    pg_store.import_customers("live", _write_jsonl(tmp_path / "first.jsonl", existing))
    schema, live, test = _customers_schema(pg_store), _everything(pg_store, "live"), _everything(pg_store, "test")
    updates = [{**customer, "plan": "changed"} for customer in existing[:40]]
    fresh = list(generate_customers(400, seed=7, now_ms=NOW))
    lines = [json.dumps(customer) for customer in updates + fresh]
    lines.insert(430, '{"id": "broken", "meters": [1]}')
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ImportFailed, match=r"big\.jsonl:431: customers\.broken\.meters: expected an object"):
        pg_store.import_customers(env, path, batch_size=50)
    if env == "live":
        assert rebuilds[-1] == _rebuild_plan_size(schema)  # the failed import had dropped the indexes: the rollback brought them back
    else:
        assert rebuilds[-1] == 0  # live has customers: a test import never locks them out (indexes maintained)
    assert _customers_schema(pg_store) == schema
    assert _everything(pg_store, "live") == live and _everything(pg_store, "test") == test


@pytest.mark.postgres
def test_big_postgres_import_maintains_indexes_when_the_table_is_busy(
    pg_store: Store, tmp_path: Path, rebuilds: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from segmentr.store import import_postgres

    monkeypatch.setattr(import_postgres, "REBUILD_LOCK_WAIT_MS", 200)
    schema = _customers_schema(pg_store)
    customers = list(generate_customers(120, seed=8, now_ms=NOW))
    with pg_store.engine.connect() as reader:  # another session in the middle of reading the table
        reader.exec_driver_sql("SELECT count(*) FROM customers").one()
        result = pg_store.import_customers("live", _write_jsonl(tmp_path / "c.jsonl", customers))
    assert rebuilds == [0] and result.count == 120
    assert _customers_schema(pg_store) == schema
    assert _everything(pg_store, "live") == sorted(customers, key=lambda c: c["id"])


@pytest.mark.postgres
def test_big_postgres_import_by_a_role_that_does_not_own_the_table(
    pg_store: Store, fresh_postgres_url: str, tmp_path: Path, rebuilds: list[int]
) -> None:
    role = f"importer_{uuid.uuid4().hex[:8]}"
    with pg_store.engine.begin() as connection:
        schema_name = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
        for statement in (
            f'CREATE ROLE "{role}" LOGIN',
            f'GRANT USAGE ON SCHEMA "{schema_name}" TO "{role}"',
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema_name}" TO "{role}"',
        ):
            connection.exec_driver_sql(statement)
    schema = _customers_schema(pg_store)
    customers = list(generate_customers(50, seed=9, now_ms=NOW))
    try:
        url = fresh_postgres_url.replace("://segmentr@", f"://{role}@")
        with Store(url, clock=ManualClock(NOW)) as restricted:
            assert restricted.import_customers("live", _write_jsonl(tmp_path / "c.jsonl", customers)).count == 50
        assert rebuilds == [0] and _customers_schema(pg_store) == schema
        assert _everything(pg_store, "live") == sorted(customers, key=lambda c: c["id"])
    finally:
        with pg_store.engine.begin() as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
            connection.exec_driver_sql(f'DROP ROLE "{role}"')


@pytest.mark.postgres
def test_a_big_test_import_never_locks_live_customers_out(pg_store: Store, tmp_path: Path, rebuilds: list[int]) -> None:
    live = list(generate_customers(30, seed=9, now_ms=NOW))
    pg_store.import_customers("live", _write_jsonl(tmp_path / "live.jsonl", live))
    reads: list[int] = []

    def read_live_meanwhile(done: int, read: int, total: int | None) -> None:
        # another session, as a live evaluation would be, while the import's transaction is open
        with pg_store.engine.connect() as other:
            other.exec_driver_sql("SET lock_timeout = '500ms'")
            counted = other.exec_driver_sql(
                "SELECT count(*) FROM customers c JOIN environments e ON e.id = c.environment_id WHERE e.name = 'live'"
            ).scalar_one()
            reads.append(counted)

    big = list(generate_customers(300, seed=10, now_ms=NOW))
    result = pg_store.import_customers(
        "test", _write_jsonl(tmp_path / "test.jsonl", big), batch_size=50, progress=read_live_meanwhile
    )
    assert result.count == 300 and rebuilds[-1] == 0
    assert reads and all(n == len(live) for n in reads)


@pytest.mark.parametrize(
    ("fmt", "content", "where"),
    [
        ("jsonl", '{"id": "ok"}\n{"id": "bad", "metadata": {"note": "a\\u0000b"}}\n', "c.jsonl:2: "),
        ("json", '[{"id": "ok"}, {"id": "b\\u0000d"}]', "c.json[1]: "),
        ("csv", 'id,plan\nok,free\nbad,fr\x00ee\n', "c.csv:3: "),
        ("jsonl", '{"id": "ok", "grants": {"g\\u0000": {}}}\n', "c.jsonl:1: "),
    ],
    ids=["jsonl metadata", "json id", "csv cell", "jsonl object key"],
)
def test_text_with_a_nul_character_is_refused_the_same_on_both_databases(
    store: Store, tmp_path: Path, fmt: str, content: str, where: str
) -> None:
    path = tmp_path / f"c.{fmt}"
    path.write_text(content)
    with pytest.raises(ImportFailed) as raised:
        store.import_customers("live", path)
    message = f"{where}text must not contain the NUL character (U+0000): PostgreSQL cannot store it"
    assert str(raised.value) == f"{tmp_path}/{message}"
    assert store.list_customers("live") == []
    with pytest.raises(InvalidData, match="NUL character"):
        store.create_customer("live", {"id": "api", "metadata": {"k": ["x\x00"]}})


def test_literal_backslash_u0000_text_is_plain_text(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"id": "ok", "metadata": {"note": "\\u0000 is how JSON writes NUL"}}) + "\n")
    assert store.import_customers("live", path).count == 1
    assert store.list_customers("live")[0]["metadata"] == {"note": "\\u0000 is how JSON writes NUL"}
