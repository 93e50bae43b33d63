"""The email channel: one message per delivery over SMTP (``smtplib``), plain text with an HTML alternative.

Settings name the server (host, port, STARTTLS, credentials, sender). ``Message-ID`` derives from the delivery
id, so a receiver (or a mail filter) can tell a retried message from a new one. smtplib's and the socket's
errors become the delivery errors of the tree; the SMTP reply code is the attempt's status.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING

from segmentr.notifications.channels.base import SendResult
from segmentr.notifications.errors import (
    DeliveryError,
    DeliveryRejected,
    DeliveryTimeout,
    DeliveryUnreachable,
)
from segmentr.notifications.messages import summary
from segmentr.notifications.model import EmailTarget

if TYPE_CHECKING:
    from segmentr.notifications.deliveries import Delivery

__all__ = ["EmailChannel", "SmtpSettings", "email_message"]


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    sender: str = "segmentr@localhost"
    timeout: float = 15.0

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        """``SEGMENTR_SMTP_HOST`` (None without it), ``_PORT``, ``_STARTTLS`` (default on), ``_USERNAME``,
        ``_PASSWORD``, ``_FROM``."""
        host = os.environ.get("SEGMENTR_SMTP_HOST")
        if not host:
            return None
        return cls(
            host=host,
            port=int(os.environ.get("SEGMENTR_SMTP_PORT", "587")),
            starttls=os.environ.get("SEGMENTR_SMTP_STARTTLS", "1").strip().lower() not in ("0", "false", "no"),
            username=os.environ.get("SEGMENTR_SMTP_USERNAME") or None,
            password=os.environ.get("SEGMENTR_SMTP_PASSWORD") or None,
            sender=os.environ.get("SEGMENTR_SMTP_FROM", "segmentr@localhost"),
        )


def email_message(delivery: Delivery, sender: str, to: list[str], dashboard_url: str | None = None) -> EmailMessage:
    text = summary(delivery, dashboard_url)
    message = EmailMessage()
    message["Subject"] = text.title
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{delivery.id}@segmentr>"
    message.set_content(text.text + "\n")
    message.add_alternative(f"<!doctype html><html><body>{text.html()}</body></html>\n", subtype="html")
    return message


class EmailChannel:
    type = "email"

    def __init__(self, settings: SmtpSettings, *, dashboard_url: str | None = None,
                 tls_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self._dashboard_url = dashboard_url
        self._tls = tls_context

    def send(self, delivery: Delivery, *, now_ms: int) -> SendResult:
        target = delivery.channel
        if not isinstance(target, EmailTarget):
            raise DeliveryError(f"delivery {delivery.id} is for {target.type}, not email")
        settings = self.settings
        message = email_message(delivery, settings.sender, list(target.to), self._dashboard_url)
        where = f"{settings.host}:{settings.port}"
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
                if settings.starttls:
                    smtp.starttls(context=self._tls or ssl.create_default_context())
                if settings.username:
                    smtp.login(settings.username, settings.password or "")
                refused = smtp.send_message(message, to_addrs=list(target.to))
        except smtplib.SMTPRecipientsRefused as exc:
            code = min((reply[0] for reply in exc.recipients.values()), default=None)
            raise DeliveryRejected(f"{where} refused every recipient", status=code,
                                   excerpt=_replies(exc.recipients)) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryRejected(f"{where} answered {exc.smtp_code}", status=exc.smtp_code,
                                   excerpt=_text(exc.smtp_error)) from None
        except TimeoutError as exc:
            raise DeliveryTimeout(f"no answer from {where} in time: {exc}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryRejected(f"{where} does not support what the settings ask: {exc}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryUnreachable(f"cannot send through {where}: {type(exc).__name__}: {exc}") from None
        excerpt = f"refused: {_replies(refused)}" if refused else ""
        return SendResult(250, excerpt)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def _replies(replies: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address}: {code} {_text(text)}" for address, (code, text) in replies.items())[:1024]
