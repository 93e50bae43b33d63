"""The database schema as SQLAlchemy 2 typed models; timestamps are integer epoch milliseconds (UTC)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ENVIRONMENTS",
    "ENVIRONMENT_NAMES",
    "ROLES",
    "ActiveSegmentRow",
    "ApiKeyRow",
    "Base",
    "CustomerRow",
    "EnvironmentRow",
    "IdempotencyRow",
    "InvitationRow",
    "MemberRow",
    "PolicyVersionRow",
    "PricingRuleRow",
    "PricingRuleVersionRow",
    "SegmentRow",
    "SegmentVersionRow",
    "SessionRow",
    "WorkspaceRow",
]

# The one definition of a workspace's environments and member roles (the service re-exports them).
ENVIRONMENTS = ("test", "live")
ENVIRONMENT_NAMES = ENVIRONMENTS
ROLES = ("owner", "admin", "editor", "viewer")

# JSON everywhere; SQL NULL for Python None (so "metadata is null" is one test, not two).
Json = JSON(none_as_null=True)
# Customer metadata is JSONB on PostgreSQL so JSON-path predicates can use a GIN index.
MetadataJson = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Base(DeclarativeBase):
    pass


class WorkspaceRow(Base):
    __tablename__ = "workspaces"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[int] = mapped_column(BigInteger)


class MemberRow(Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("workspace_id", "email", name="uq_members_workspace_email"),
        CheckConstraint("role IN ('owner', 'admin', 'editor', 'viewer')", name="ck_members_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[int] = mapped_column(BigInteger)
    # The id the API shows (mem_…); the integer stays the key other tables reference.
    public_id: Mapped[str | None] = mapped_column(String(40), nullable=True, unique=True, index=True)
    # argon2 hash; None: the member cannot sign in with a password (e.g. the CLI's local owner).
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)


class EnvironmentRow(Base):
    __tablename__ = "environments"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name", name="uq_environments_workspace_name"),
        CheckConstraint("name IN ('test', 'live')", name="ck_environments_name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(10))
    # Bumped by every pricing-rule change of the environment: with the referenced segments' versions, the key
    # of the compiled rule book (one integer read on the metering hot path, never a stale book).
    pricing_revision: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class PolicyVersionRow(Base):
    __tablename__ = "policy_versions"

    environment_id: Mapped[int] = mapped_column(
        ForeignKey("environments.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[int] = mapped_column(BigInteger)


class CustomerRow(Base):
    """One customer's whole state in one row, so loading it for an evaluation is one query."""

    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_env_plan", "environment_id", "plan"),
        Index("ix_customers_env_type", "environment_id", "type"),
        Index("ix_customers_env_created", "environment_id", "cloud_created"),
        Index("ix_customers_env_updated", "environment_id", "cloud_updated"),
        # Only the customers with price overrides of their own (few): what segment evaluation reads per call.
        Index(
            "ix_customers_price_overrides", "environment_id",
            sqlite_where=text("price_overrides IS NOT NULL"), postgresql_where=text("price_overrides IS NOT NULL"),
        ),
        Index(
            "ix_customers_metadata_gin",
            "metadata",
            postgresql_using="gin",
            postgresql_ops={"metadata": "jsonb_path_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    # (environment_id, id) is the primary key: unique, and the order of keyset pagination.
    environment_id: Mapped[int] = mapped_column(
        ForeignKey("environments.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    plan: Mapped[str] = mapped_column(String(255), default="")
    type: Mapped[str] = mapped_column(String(255), default="user")
    label: Mapped[str] = mapped_column(String(500), default="User")
    alt_ids: Mapped[list[str]] = mapped_column(Json, default=list)
    refs: Mapped[list[str]] = mapped_column(Json, default=list)
    overrides: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    caps: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    grants: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    meters: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # "metadata" is reserved on declarative classes: the attribute is metadata_, the column "metadata".
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", MetadataJson, nullable=True)
    cloud_created: Mapped[int] = mapped_column(BigInteger)
    cloud_updated: Mapped[int] = mapped_column(BigInteger)
    # The customer's own price overrides {target: price} (product.md §6), canonical JSON; not part of the
    # Limitr customer record (imports and replacements keep them).
    price_overrides: Mapped[dict[str, Any] | None] = mapped_column(Json, nullable=True)


class SegmentRow(Base):
    __tablename__ = "segments"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name", name="uq_segments_workspace_name"),
        CheckConstraint("mode IN ('simple', 'advanced')", name="ck_segments_mode"),
        # Names are unique by their key (segmentr.segments.names.name_key), not only as typed.
        Index("uq_segments_workspace_name_key", "workspace_id", "name_key", unique=True),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # NFKC + case folded name; nullable only in the schema (migration 0002 adds it without a table rebuild).
    name_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    condition: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(10))
    simple: Mapped[list[dict[str, Any]] | None] = mapped_column(Json, nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    updated_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    error_count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class SegmentVersionRow(Base):
    __tablename__ = "segment_versions"

    segment_id: Mapped[str] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    condition: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(10))
    simple: Mapped[list[dict[str, Any]] | None] = mapped_column(Json, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(String(320), nullable=True)


class ActiveSegmentRow(Base):
    """At most one active segment per member (the member is the key); gone with the segment."""

    __tablename__ = "active_segments"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    segment_id: Mapped[str] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"), index=True)
    set_at: Mapped[int] = mapped_column(BigInteger)


class ApiKeyRow(Base):
    """An API key of one workspace and environment; only the SHA-256 of its secret is kept."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("environment IN ('test', 'live')", name="ck_api_keys_environment"),
        CheckConstraint("role IN ('admin', 'editor', 'viewer')", name="ck_api_keys_role"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    environment: Mapped[str] = mapped_column(String(10))
    role: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    # What a listing shows of the secret (sk_live_<id>_ and four characters), never enough to use it.
    prefix: Mapped[str] = mapped_column(String(80))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    last_used_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class SessionRow(Base):
    """A dashboard session, keyed by the SHA-256 of its token (the cookie holds the token itself)."""

    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)


class InvitationRow(Base):
    """A single-use, expiring invitation to join a workspace; keyed by the SHA-256 of its token."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'admin', 'editor', 'viewer')", name="ck_invitations_role"),
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(10))
    invited_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    accepted_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class IdempotencyRow(Base):
    """The first response to a request under an ``Idempotency-Key``, per workspace and caller, for 24 h.

    ``status`` None: the first call is still running (a concurrent second one must not run too).
    """

    __tablename__ = "idempotency_records"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    principal: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    body: Mapped[Any] = mapped_column(Json, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


class PricingRuleRow(Base):
    """A pricing rule of one environment (product.md §6); its segment is an id that may dangle (§8)."""

    __tablename__ = "pricing_rules"
    __table_args__ = (
        UniqueConstraint("environment_id", "priority", name="uq_pricing_rules_environment_priority"),
        CheckConstraint(
            "supersedes IS NULL OR supersedes = 'customer-overrides'", name="ck_pricing_rules_supersedes"
        ),
    )

    id: Mapped[str] = mapped_column(String(90), primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    segment_id: Mapped[str] = mapped_column(String(200), index=True)
    priority: Mapped[int] = mapped_column(BigInteger)
    overrides: Mapped[dict[str, Any]] = mapped_column(Json)
    supersedes: Mapped[str | None] = mapped_column(String(40), nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    updated_by: Mapped[str | None] = mapped_column(String(320), nullable=True)


class PricingRuleVersionRow(Base):
    """Who changed a rule, what and when: the rule's fields after each save (``action`` created / updated) and
    its last fields at deletion (``deleted``). Kept after the rule is deleted (an audit trail)."""

    __tablename__ = "pricing_rule_versions"
    __table_args__ = (
        CheckConstraint("action IN ('created', 'updated', 'deleted')", name="ck_pricing_rule_versions_action"),
        Index("ix_pricing_rule_versions_environment", "environment_id", "rule_id"),
    )

    rule_id: Mapped[str] = mapped_column(String(90), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(10))
    fields: Mapped[dict[str, Any]] = mapped_column(Json)
    changed_at: Mapped[int] = mapped_column(BigInteger)
    changed_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
