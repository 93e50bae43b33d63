"""Fixtures of the notifications tests: a webhook receiver and an SMTP server, both real, on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from notification_doubles import Mailbox, Receiver, free_port
from stored_helpers import Stored, open_store


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, mailbox
    finally:
        controller.stop()


@pytest.fixture
def stored(db_url: str) -> Iterator[Stored]:
    """A migrated store over each database with the small all-soft policy in both environments."""
    store = open_store(db_url)
    try:
        yield Stored(store)
    finally:
        store.close()
