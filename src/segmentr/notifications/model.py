"""Notifications as validated pydantic models (product.md §5, api.md §4): who listens to what, and where it goes.

A notification listens to event types in one environment (or both), optionally scoped to a segment and narrowed
by a Stof condition over ``event``, ``customer``, ``data`` and ``policy``, and sends on one or more channels.
"""

from __future__ import annotations

import base64
import os
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from segmentr.notifications.errors import FieldProblem, NotificationInvalid
from segmentr.notifications.events import EVENT_TYPES

__all__ = [
    "ROTATION_OVERLAP_MS",
    "ChannelTarget",
    "EmailTarget",
    "InAppTarget",
    "Notification",
    "SlackTarget",
    "WebhookTarget",
    "new_notification_id",
    "new_webhook_secret",
    "parse_notification",
    "rotate_secret",
]

ROTATION_OVERLAP_MS = 24 * 3600 * 1000  # both signatures are sent for a day after a secret rotation
MAX_NAME_CHARS = 120
MAX_CONDITION_BYTES = 64 * 1024
MAX_RECIPIENTS = 50
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_SECRET = re.compile(r"whsec_[A-Za-z0-9+/]{16,}={0,2}\Z")


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def new_notification_id() -> str:
    return "ntf_" + os.urandom(10).hex()


def _http_url(url: str, *, https_only: bool = False) -> str:
    parts = urlsplit(url)
    schemes = ("https",) if https_only else ("http", "https")
    if parts.scheme not in schemes:
        raise ValueError(f"the URL must start with {' or '.join(s + '://' for s in schemes)}")
    if not parts.hostname:
        raise ValueError("the URL has no host")
    if parts.username or parts.password:
        raise ValueError("the URL must not carry credentials")
    return url


class _Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookTarget(_Target):
    """A JSON POST signed the Standard Webhooks way. ``previous_secret`` still signs until
    ``previous_secret_expires_at`` (epoch ms) after a rotation; ``disabled`` once the endpoint answered 410."""

    type: Literal["webhook"] = "webhook"
    url: str
    secret: str = Field(default_factory=new_webhook_secret)
    previous_secret: str | None = None
    previous_secret_expires_at: int | None = None
    disabled: bool = False

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        return _http_url(url)

    @field_validator("secret", "previous_secret")
    @classmethod
    def _secret(cls, secret: str | None) -> str | None:
        if secret is not None and not _SECRET.match(secret):
            raise ValueError("a webhook secret is whsec_ followed by base64 (at least 16 characters)")
        return secret

    def signing_secrets(self, now_ms: int) -> list[str]:
        """The secrets that sign at ``now_ms``: the current one, and the previous one during the overlap."""
        if self.previous_secret and self.previous_secret_expires_at and now_ms < self.previous_secret_expires_at:
            return [self.secret, self.previous_secret]
        return [self.secret]


class SlackTarget(_Target):
    """A Slack incoming-webhook URL."""

    type: Literal["slack"] = "slack"
    url: str
    disabled: bool = False

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        return _http_url(url)


class EmailTarget(_Target):
    type: Literal["email"] = "email"
    to: list[str] = Field(min_length=1, max_length=MAX_RECIPIENTS)

    @field_validator("to")
    @classmethod
    def _addresses(cls, to: list[str]) -> list[str]:
        for address in to:
            if not _EMAIL.match(address):
                raise ValueError(f"{address!r} is not an email address")
        return to


class InAppTarget(_Target):
    type: Literal["in_app"] = "in_app"


ChannelTarget = Annotated[WebhookTarget | EmailTarget | SlackTarget | InAppTarget, Field(discriminator="type")]


class Notification(BaseModel):
    """One notification. ``version`` grows with every edit (compiled conditions are cached by it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(default_factory=new_notification_id, pattern=r"^ntf_[A-Za-z0-9]+$")
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    description: str = ""
    environment: Literal["test", "live", "both"] = "both"
    events: tuple[str, ...] = Field(min_length=1)
    segment: str | None = None
    condition: str | None = None
    channels: tuple[ChannelTarget, ...] = Field(min_length=1)
    enabled: bool = True
    version: int = 1

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("the name must not be blank")
        return name.strip()

    @field_validator("events")
    @classmethod
    def _events(cls, events: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [e for e in events if e not in EVENT_TYPES]
        if unknown:
            raise ValueError(f"unknown event type {unknown[0]!r}; known: {', '.join(sorted(EVENT_TYPES))}")
        return tuple(dict.fromkeys(events))

    @field_validator("condition")
    @classmethod
    def _condition(cls, condition: str | None) -> str | None:
        if condition is None or not condition.strip():
            return None
        if len(condition.encode()) > MAX_CONDITION_BYTES:
            raise ValueError(f"the condition is longer than {MAX_CONDITION_BYTES} bytes")
        if "\x00" in condition:
            raise ValueError("the condition must not contain the NUL character")
        return condition

    def listens(self, event_type: str, environment: str) -> bool:
        """Whether an event of this type in this environment reaches the notification (enabled or not)."""
        return event_type in self.events and self.environment in (environment, "both")


def parse_notification(data: Any) -> Notification:
    """A notification from JSON-able data; raises ``NotificationInvalid`` naming every field at fault.

    The condition's syntax is checked here too, with its line and column (a condition that does not parse is
    never saved); warnings about unknown fields are the editor's business (``segmentr.stof.check``).
    """
    try:
        notification = Notification.model_validate(data)
    except ValidationError as exc:
        raise NotificationInvalid([
            FieldProblem(".".join(str(p) for p in error["loc"]), error["msg"].removeprefix("Value error, "))
            for error in exc.errors()
        ]) from None
    if notification.condition is not None:
        from segmentr.policy.vocabulary import NOTIFICATION_BINDINGS
        from segmentr.stof import StofSyntaxError, compile

        try:
            compile(notification.condition, NOTIFICATION_BINDINGS)
        except StofSyntaxError as exc:
            raise NotificationInvalid([
                FieldProblem("condition", d.message, d.line, d.column) for d in exc.diagnostics
            ] or [FieldProblem("condition", str(exc))]) from None
    return notification


def rotate_secret(target: WebhookTarget, now_ms: int, new_secret: str | None = None) -> WebhookTarget:
    """The target with a new secret; the old one keeps signing for ``ROTATION_OVERLAP_MS``."""
    return target.model_copy(update={
        "secret": new_secret or new_webhook_secret(),
        "previous_secret": target.secret,
        "previous_secret_expires_at": now_ms + ROTATION_OVERLAP_MS,
    })
