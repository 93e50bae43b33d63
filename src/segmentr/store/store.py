"""``Store``: the storage façade — one engine, transactions, the policy cache, and every repository's
operations keyed by workspace or environment."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import IO, Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from segmentr.policy.customer import CustomerRules
from segmentr.policy.engine import Policy
from segmentr.pricing import RuleBooks
from segmentr.store import customers as customer_repo
from segmentr.store import importing, metering, migrate, policies, segments, workspaces
from segmentr.store.customer_source import WorkspaceCustomers
from segmentr.store.db import IMMEDIATE, make_engine, session_factory, sqlite_writer, translate_errors
from segmentr.store.errors import ImportFailed, InvalidData, NotFound
from segmentr.store.records import Environment, Member, PolicyVersion, Segment, SegmentVersion, Workspace
from segmentr.store.transaction import UnitOfWork, run_unit, unit_of_work

__all__ = ["EnvRef", "Store"]

T = TypeVar("T")
Clock = Callable[[], int]
# An environment: the record, its id, or "test"/"live" of the default workspace.
EnvRef = Environment | int | str

DEFAULT_WORKSPACE_NAME = "Default"
DEFAULT_OWNER_EMAIL = "owner@localhost"
# A file with hundreds of bad customers: the first ones say enough.
MAX_REPORTED_PROBLEMS = 50


def _system_clock() -> int:
    return time.time_ns() // 1_000_000


class Store:
    """Everything segmentr keeps, over SQLite (default file) or PostgreSQL (``SEGMENTR_DATABASE_URL``)."""

    def __init__(self, url: str | None = None, *, clock: Clock | None = None, engine: Engine | None = None):
        self.engine: Engine = engine or make_engine(url)
        self._sessions = session_factory(self.engine)
        # Writes take SQLite's write lock up front (BEGIN IMMEDIATE), so a write that meets another's lock
        # waits for it up to the busy timeout; a deferred transaction upgraded mid-way would fail at once.
        self._write_sessions = session_factory(self.engine.execution_options(**{IMMEDIATE: True}))
        self._rules: dict[tuple[int, int], CustomerRules] = {}
        self._clock: Clock = clock or _system_clock
        self._policy_clock = clock  # None: the policy engine uses its own system clock
        self._policies = policies.PolicyCache()
        # compiled pricing-rule books by (environment, rules revision, referenced segments' state)
        self.rule_books = RuleBooks()
        self._environment_ids: dict[tuple[str, str], int] = {}
        # One-statement reads on PostgreSQL skip the BEGIN and ROLLBACK round trips around them.
        self._readers = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.engine.dialect.name == "postgresql"
            else self.engine
        )

    # ------------------------------------------------------------------ plumbing

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def now(self) -> int:
        return self._clock()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error; errors translated.

        ``write``: the transaction writes, so on SQLite it takes the write lock when it begins (waiting for
        another writer up to the busy timeout, then ``DatabaseError`` saying why)."""
        sessions = self._write_sessions if write else self._sessions
        turn = sqlite_writer(self.engine) if write else nullcontext()
        with turn, translate_errors(), sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for one read statement outside a unit of work (authenticating a request): on PostgreSQL
        in autocommit, so the read is one round trip; on SQLite a plain read transaction (local and cheap)."""
        with translate_errors(), self._readers.connect() as connection:
            yield connection

    def transaction(self, *, write: bool = False) -> AbstractContextManager[UnitOfWork]:
        """A unit of work: one transaction across repositories for one use case (``store/transaction.py``)."""
        return unit_of_work(self, write=write)

    def run(self, work: Callable[[UnitOfWork], T], *, write: bool = False) -> T:
        """``work`` in one unit of work, retried from the start while the database is busy."""
        return run_unit(self, work, write=write)

    def environment_record(self, workspace_id: str, name: str, *, session: Session | None = None) -> Environment:
        """A workspace's environment by name; ids never change, so they are cached in this process."""
        key = (workspace_id, name)
        found = self._environment_ids.get(key)
        if found is not None:
            return Environment(id=found, workspace_id=workspace_id, name=name)
        if session is None:
            with self.session() as own:
                environment = workspaces.get_environment(session=own, workspace_id=workspace_id, name=name)
        else:
            environment = workspaces.get_environment(session=session, workspace_id=workspace_id, name=name)
        self._environment_ids[key] = environment.id
        return environment

    def ping(self) -> None:
        """One round trip to the database; ``DatabaseError`` (an ``Unavailable``) when it does not answer."""
        with translate_errors(), self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def migrate(self) -> None:
        """Create or upgrade the schema (idempotent)."""
        migrate.migrate(self.engine)

    def is_migrated(self) -> bool:
        return migrate.current_revision(self.engine) == migrate.head_revision()

    def init(
        self, *, workspace_name: str = DEFAULT_WORKSPACE_NAME, owner_email: str = DEFAULT_OWNER_EMAIL
    ) -> Workspace:
        """Migrate, then make sure a default workspace with an owner and both environments exists."""
        self.migrate()
        with self.session(write=True) as session:
            existing = workspaces.default_workspace(session=session)
            if existing is not None:
                return existing
            workspace = workspaces.create_workspace(session=session, name=workspace_name, now=self.now())
            workspaces.add_member(
                session=session, workspace_id=workspace.id, email=owner_email, role="owner", now=self.now(),
                name="Owner",
            )
            return workspace

    # ------------------------------------------------------------------ workspaces, members, environments

    def create_workspace(self, name: str, *, owner_email: str | None = None) -> Workspace:
        with self.session(write=True) as session:
            workspace = workspaces.create_workspace(session=session, name=name, now=self.now())
            if owner_email:
                workspaces.add_member(
                    session=session, workspace_id=workspace.id, email=owner_email, role="owner", now=self.now()
                )
            return workspace

    def default_workspace(self) -> Workspace:
        with self.session() as session:
            found = workspaces.default_workspace(session=session)
        if found is None:
            raise NotFound("no workspace yet: run `segmentr init` first")
        return found

    def workspace(self, workspace_id: str) -> Workspace:
        with self.session() as session:
            return workspaces.get_workspace(session=session, workspace_id=workspace_id)

    def list_workspaces(self) -> list[Workspace]:
        with self.session() as session:
            return workspaces.list_workspaces(session=session)

    def add_member(self, workspace_id: str, email: str, role: str, *, name: str = "") -> Member:
        with self.session(write=True) as session:
            return workspaces.add_member(
                session=session, workspace_id=workspace_id, email=email, role=role, name=name, now=self.now()
            )

    def member(self, workspace_id: str, *, member_id: int | None = None, email: str | None = None) -> Member:
        with self.session() as session:
            return workspaces.get_member(session=session, workspace_id=workspace_id, member_id=member_id, email=email)

    def members(self, workspace_id: str) -> list[Member]:
        with self.session() as session:
            return workspaces.list_members(session=session, workspace_id=workspace_id)

    def set_member_role(self, workspace_id: str, member_id: int, role: str) -> Member:
        with self.session(write=True) as session:
            return workspaces.set_member_role(
                session=session, workspace_id=workspace_id, member_id=member_id, role=role
            )

    def remove_member(self, workspace_id: str, member_id: int) -> None:
        with self.session(write=True) as session:
            workspaces.remove_member(session=session, workspace_id=workspace_id, member_id=member_id)

    def environment(self, name: str, *, workspace_id: str | None = None) -> Environment:
        """The ``test`` or ``live`` environment of a workspace (default: the default workspace)."""
        with self.session() as session:
            if workspace_id is None:
                found = workspaces.default_workspace(session=session)
                if found is None:
                    raise NotFound("no workspace yet: run `segmentr init` first")
                workspace_id = found.id
            return workspaces.get_environment(session=session, workspace_id=workspace_id, name=name)

    def environments(self, workspace_id: str) -> list[Environment]:
        with self.session() as session:
            return workspaces.list_environments(session=session, workspace_id=workspace_id)

    def _env_id(self, env: EnvRef) -> int:
        if isinstance(env, Environment):
            return env.id
        if isinstance(env, int) and not isinstance(env, bool):
            return env
        return self.environment(env).id

    # ------------------------------------------------------------------ policies

    def put_policy(self, env: EnvRef, document: Any, *, import_customers: bool = True) -> int:
        """Validate ``document`` with the policy engine and store it as the next version; returns the version.

        Customers the document carries are checked against it (``segmentr.policy.customer``) and go to the
        customers table (timestamps kept when given) in the same transaction: a bad one stores nothing.
        """
        environment_id = self._env_id(env)
        policy_object, carried = policies.split_document(document)
        policies.load_policy(policy_object)  # the engine validates; InvalidData with every problem
        rules = CustomerRules.of_document(policy_object)
        records: list[dict[str, Any]] = []
        problems: list[str] = []
        for customer_id, raw in carried.items():
            if not isinstance(raw, dict):
                problems.append(f"customers.{customer_id}: expected an object")
                continue
            try:
                records.append(customer_repo.normalise_customer({"id": customer_id, **raw}, rules=rules))
            except InvalidData as exc:
                problems.extend(str(exc).splitlines())
        if problems:
            raise InvalidData("\n".join(problems[:MAX_REPORTED_PROBLEMS]))
        now = self.now()
        stored: list[int] = []

        def store_version(connection: Connection | Session) -> None:
            stored.append(
                policies.put_policy(session=connection, environment_id=environment_id, document=policy_object, now=now)
            )

        if import_customers and records:
            importing.import_customer_records(
                engine=self.engine,
                rows=importing.rows_from_customers(environment_id, records, now),
                environment_id=environment_id,
                prelude=store_version,
            )
        else:
            with self.session(write=True) as session:
                store_version(session)
        return stored[0]

    def import_policy(self, env: EnvRef, source: str | Path | IO[bytes]) -> int:
        """Import a policy file (JSON or YAML), validated before it is stored; returns the new version."""
        stream, name, _size, owned = importing.open_source(source)
        try:
            importing.skip_byte_order_mark(stream, name)
            text = stream.read()
        finally:
            if owned:
                stream.close()
        try:
            from segmentr.policy.document import read_document

            document = read_document(text)
        except ValueError as exc:
            raise ImportFailed(f"{name}: {exc}") from exc
        except Exception as exc:  # YAML parse errors and the like: bad input, not a crash
            mark = getattr(exc, "problem_mark", None)
            if mark is not None:  # a YAML error: its line and column, one line
                problem = getattr(exc, "problem", None) or "cannot be read"
                raise ImportFailed(
                    f"{name}:{mark.line + 1}:{mark.column + 1}: not a JSON or YAML policy ({problem})"
                ) from exc
            raise ImportFailed(f"{name}: not a JSON or YAML policy ({str(exc).splitlines()[0]})") from exc
        try:
            return self.put_policy(env, document)
        except InvalidData as exc:
            lines = [line.strip() for line in str(exc).splitlines()]
            problems = [line for line in lines if line and line != "invalid policy document:"]
            raise ImportFailed("\n".join(f"{name}: {line}" for line in problems), problems=exc.problems) from exc

    def policy_version(self, env: EnvRef, version: int | None = None) -> PolicyVersion:
        with self.session() as session:
            return policies.get_policy_version(session=session, environment_id=self._env_id(env), version=version)

    def policy_versions(self, env: EnvRef) -> list[int]:
        with self.session() as session:
            return policies.list_policy_versions(session=session, environment_id=self._env_id(env))

    def live_policy(self, env: EnvRef) -> Policy:
        """The environment's live policy (highest version), loaded once per version in this process."""
        environment_id = self._env_id(env)
        with self.session() as session:
            version = policies.live_version(session=session, environment_id=environment_id)
            return self.policy_at(session, environment_id, version)

    def policy_at(self, reader: Session | Connection, environment_id: int, version: int | None) -> Policy:
        """The policy of a known version from the cache, reading the document only on a miss."""
        if version is None:  # no policy yet: an empty one (everything unknown, nothing allowed)
            return self._policies.get((environment_id, 0), lambda: policies.load_policy({}, self._policy_clock))

        def load() -> Policy:
            document = policies.policy_document(reader, environment_id, version)
            return policies.load_policy(document, self._policy_clock)

        return self._policies.get((environment_id, version), load)

    # ------------------------------------------------------------------ customers

    def customer_rules(self, env: EnvRef) -> CustomerRules:
        """What a customer of ``env`` is checked against: its live policy's plans and credits (none yet: no
        name checks). Kept per policy version, which never changes once stored."""
        environment_id = self._env_id(env)
        with self.session() as session:
            version = policies.live_version(session=session, environment_id=environment_id)
            if version is None:
                return CustomerRules()
            found = self._rules.get((environment_id, version))
            if found is None:
                document = policies.policy_document(session, environment_id, version)
                found = self._rules[(environment_id, version)] = CustomerRules.of_document(document)
            return found

    def create_customer(self, env: EnvRef, customer: Mapping[str, Any]) -> dict[str, Any]:
        """A new customer, checked like an imported one (``segmentr.policy.customer``)."""
        environment_id = self._env_id(env)
        rules = self.customer_rules(environment_id)
        with self.session(write=True) as session:
            return customer_repo.create_customer(
                session=session, environment_id=environment_id, customer=customer, now=self.now(), rules=rules
            )

    def update_customer(self, env: EnvRef, customer_id: str, **changes: Any) -> dict[str, Any]:
        """Change a customer's fields; the result is checked like an imported record (a plan only when it
        changes: a plan the live policy dropped since does not block other edits)."""
        environment_id = self._env_id(env)
        rules = self.customer_rules(environment_id)
        if "plan" not in changes:
            rules = CustomerRules(plans=None, credits=rules.credits)
        with self.session(write=True) as session:
            return customer_repo.update_customer(
                session=session,
                environment_id=environment_id,
                customer_id=customer_id,
                changes=changes,
                now=self.now(),
                rules=rules,
            )

    def get_customer(self, env: EnvRef, customer_id: str) -> dict[str, Any]:
        with self.session() as session:
            return customer_repo.get_customer(
                session=session, environment_id=self._env_id(env), customer_id=customer_id
            )

    def delete_customer(self, env: EnvRef, customer_id: str) -> None:
        with self.session(write=True) as session:
            customer_repo.delete_customer(session=session, environment_id=self._env_id(env), customer_id=customer_id)

    def list_customers(self, env: EnvRef, *, after: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        with self.session() as session:
            return customer_repo.list_customers(
                session=session, environment_id=self._env_id(env), after=after, limit=limit
            )

    def count_customers(self, env: EnvRef) -> int:
        with self.session() as session:
            return customer_repo.count_customers(session=session, environment_id=self._env_id(env))

    def customers(self, workspace_id: str | None = None) -> WorkspaceCustomers:
        """The CustomerSource of a workspace (default: the default workspace) for the segments package."""
        return WorkspaceCustomers(self, workspace_id or self.default_workspace().id)

    def import_customers(
        self,
        env: EnvRef,
        source: str | Path | IO[bytes],
        *,
        fmt: str | None = None,
        progress: importing.ImportProgress | None = None,
        batch_size: int = importing.DEFAULT_BATCH,
        encoding: str = "utf-8",
    ) -> importing.ImportResult:
        """Import customers from JSON lines, a JSON array or CSV (``encoding``: the CSV's text encoding); all
        or nothing. Each record is checked against the live policy's plans and credits."""
        environment_id = self._env_id(env)
        rules = self.customer_rules(environment_id)
        stream, name, size, owned = importing.open_source(source)
        position = [0]
        started = time.perf_counter()
        report = (lambda done, read: progress(done, read, size)) if progress else None
        try:
            if owned and size is not None and size >= importing.PROCESS_READER_BYTES:
                # Check the format here, so a bad file fails before a reader process starts.
                detected = fmt or importing.detect_format(name, stream.peek(64)[:64])  # type: ignore[attr-defined]
                count = importing.import_customer_records(
                    engine=self.engine,
                    file=(str(source), name, detected, environment_id, self.now()),
                    batch_size=batch_size,
                    on_batch=report,
                    rules=rules,
                    encoding=encoding,
                )
            else:
                rows = importing.read_customer_rows(
                    stream, name=name, environment_id=environment_id, now=self.now(), fmt=fmt, position=position,
                    rules=rules, encoding=encoding,
                )
                count = importing.import_customer_records(
                    engine=self.engine,
                    rows=rows,
                    position=position,
                    environment_id=environment_id,
                    batch_size=batch_size,
                    on_batch=report,
                )
        finally:
            if owned:
                stream.close()
        return importing.ImportResult(count=count, seconds=time.perf_counter() - started)

    def import_customer_dicts(
        self, env: EnvRef, records: Any, *, keep_timestamps: bool = True, batch_size: int = importing.DEFAULT_BATCH,
        on_batch: Callable[[int, int], None] | None = None,
    ) -> int:
        """Bulk-upsert customer dicts (e.g. from the sample generator), checked like an import's records."""
        environment_id = self._env_id(env)
        now = self.now()
        rules = self.customer_rules(environment_id)
        if not keep_timestamps:
            records = ({**record, "cloud_created": None, "cloud_updated": None} for record in records)
        return importing.import_customer_records(
            engine=self.engine,
            rows=importing.rows_from_customers(environment_id, records, now, rules),
            environment_id=environment_id,
            batch_size=batch_size,
            on_batch=on_batch,
        )

    # ------------------------------------------------------------------ metering (atomic)

    def _metered(self, env: EnvRef, customer_id: str, call: Callable[[Policy], Any]) -> Any:
        environment_id = self._env_id(env)
        return metering.run_on_customer(
            engine=self.engine,
            environment_id=environment_id,
            customer_id=customer_id,
            policy_for=self.policy_at,
            call=call,
            now=self.now,
        )

    def meter_allow(self, env: EnvRef, customer_id: str, entitlement: str, value: float | str = 0, **kw: Any) -> bool:
        """``allow`` through the live policy, atomically (the customer row is locked for the call)."""
        return bool(self._metered(env, customer_id, lambda p: p.allow(customer_id, entitlement, value, **kw)))

    def meter_check(self, env: EnvRef, customer_id: str, entitlement: str, value: float | str = 0, **kw: Any) -> bool:
        return bool(self._metered(env, customer_id, lambda p: p.check(customer_id, entitlement, value, **kw)))

    def meter_increment(self, env: EnvRef, customer_id: str, entitlement: str, **kw: Any) -> bool:
        return bool(self._metered(env, customer_id, lambda p: p.increment(customer_id, entitlement, **kw)))

    def meter_decrement(self, env: EnvRef, customer_id: str, entitlement: str, **kw: Any) -> bool:
        return bool(self._metered(env, customer_id, lambda p: p.decrement(customer_id, entitlement, **kw)))

    def with_customer_policy(self, env: EnvRef, customer_id: str, call: Callable[[Policy], Any]) -> Any:
        """Run any policy call for one customer atomically (plan change, topup, override…); changes persist."""
        return self._metered(env, customer_id, call)

    # ------------------------------------------------------------------ segments

    def create_segment(self, workspace_id: str, *, by: str | None = None, **fields: Any) -> Segment:
        with self.session(write=True) as session:
            return segments.create_segment(
                session=session, workspace_id=workspace_id, fields=fields, now=self.now(), by=by
            )

    def get_segment(self, workspace_id: str, segment: str) -> Segment:
        with self.session() as session:
            return segments.get_segment(session=session, workspace_id=workspace_id, segment=segment)

    def list_segments(self, workspace_id: str) -> list[Segment]:
        with self.session() as session:
            return segments.list_segments(session=session, workspace_id=workspace_id)

    def update_segment(self, workspace_id: str, segment: str, *, by: str | None = None, **changes: Any) -> Segment:
        with self.session(write=True) as session:
            return segments.update_segment(
                session=session, workspace_id=workspace_id, segment=segment, changes=changes, now=self.now(), by=by
            )

    def delete_segment(self, workspace_id: str, segment: str) -> None:
        with self.session(write=True) as session:
            segments.delete_segment(session=session, workspace_id=workspace_id, segment=segment)

    def segment_history(self, workspace_id: str, segment: str) -> list[SegmentVersion]:
        with self.session() as session:
            return segments.segment_history(session=session, workspace_id=workspace_id, segment=segment)

    def restore_segment(self, workspace_id: str, segment: str, version: int, *, by: str | None = None) -> Segment:
        with self.session(write=True) as session:
            return segments.restore_segment(
                session=session, workspace_id=workspace_id, segment=segment, version=version, now=self.now(), by=by
            )

    def record_segment_error(self, segment_id: str, error: str, *, count: int = 1) -> None:
        """Count ``count`` failed evaluations of the segment; ``error`` (the latest) becomes its last error."""
        if count < 1:
            return
        with self.session(write=True) as session:
            segments.record_segment_error(
                session=session, segment_id=segment_id, error=error, now=self.now(), count=count
            )

    def active_segment(self, workspace_id: str, member_id: int) -> Segment | None:
        with self.session() as session:
            return segments.active_segment(session=session, workspace_id=workspace_id, member_id=member_id)

    def set_active_segment(self, workspace_id: str, member_id: int, segment: str) -> Segment:
        with self.session(write=True) as session:
            return segments.set_active_segment(
                session=session, workspace_id=workspace_id, member_id=member_id, segment=segment, now=self.now()
            )

    def clear_active_segment(self, workspace_id: str, member_id: int) -> None:
        with self.session(write=True) as session:
            segments.clear_active_segment(session=session, workspace_id=workspace_id, member_id=member_id)

    def toggle_active_segment(self, workspace_id: str, member_id: int, segment: str) -> Segment | None:
        with self.session(write=True) as session:
            return segments.toggle_active_segment(
                session=session, workspace_id=workspace_id, member_id=member_id, segment=segment, now=self.now()
            )

    def members_with_active(self, workspace_id: str, segment: str) -> list[int]:
        with self.session() as session:
            return segments.members_with_active(session=session, workspace_id=workspace_id, segment=segment)
