"""Where an HTTP target may go: resolve its host, refuse non-public addresses, pin the address checked.

Every address the name resolves to is checked (a name with one private address among public ones is refused),
and the request then connects to the address that was checked, with the original ``Host`` header and TLS
server name: a DNS answer that changes between the check and the connection (rebinding) cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from segmentr.notifications.errors import DeliveryUnreachable, TargetRefused

__all__ = ["ALLOW_PRIVATE_ENV", "PinnedTarget", "Resolver", "allow_private_from_env", "pin", "system_resolver"]

ALLOW_PRIVATE_ENV = "SEGMENTR_ALLOW_PRIVATE_WEBHOOKS"
Resolver = Callable[[str, int], list[str]]


def allow_private_from_env() -> bool:
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in ("1", "true", "yes")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address of ``host`` (IPv4 and IPv6), in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DeliveryUnreachable(f"cannot resolve {host}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True, slots=True)
class PinnedTarget:
    """The URL to connect to (the checked address), the ``Host`` header and the TLS server name."""

    url: httpx.URL
    host_header: str
    sni_hostname: str | None


def pin(url: str, *, allow_private: bool, resolve: Resolver = system_resolver) -> PinnedTarget:
    """The checked, pinned form of ``url``; raises ``TargetRefused`` or ``DeliveryUnreachable``."""
    parsed = httpx.URL(url)
    host = parsed.host
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = resolve(host, port)
    if not addresses:
        raise DeliveryUnreachable(f"{host} has no address")
    if not allow_private:
        refused = [a for a in addresses if not _public(a)]
        if refused:
            raise TargetRefused(
                f"{host} resolves to a private, loopback or link-local address ({refused[0]}); "
                f"such targets need {ALLOW_PRIVATE_ENV}=1"
            )
    host_header = host if parsed.port is None else f"{host}:{parsed.port}"
    if ":" in host and parsed.port is None:
        host_header = f"[{host}]"
    elif ":" in host:
        host_header = f"[{host}]:{parsed.port}"
    return PinnedTarget(parsed.copy_with(host=addresses[0]), host_header,
                        host if parsed.scheme == "https" else None)
