"""Who the client is: the address that connected, or behind trusted proxies the address they saw.

    trusted_networks(text) -> networks        PIPELINE_WEB_TRUSTED_PROXIES parsed (ConfigError naming it)
    ForwardedFor(wsgi_app, networks)          WSGI middleware: REMOTE_ADDR becomes the client's address
    client_key(address) -> str                what the login throttle counts by

X-Forwarded-For is read only when the connecting address is a listed proxy (anyone can write the
header; werkzeug's ProxyFix would trust it from whoever connects). It is read from the right: each
proxy appends the address that connected to it, so entries written by trusted proxies are skipped and
the first other one is the client; whatever lies left of it was written by the client and is ignored.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def trusted_networks(text: str | None) -> tuple[Network, ...]:
    networks: list[Network] = []
    for item in (text or "").replace(";", ",").split(","):
        if not item.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError as exc:
            raise ConfigError(f"PIPELINE_WEB_TRUSTED_PROXIES: {item.strip()!r} is not an address or network "
                              "(e.g. 127.0.0.1, 10.0.0.0/8, ::1)") from exc
    return tuple(networks)


def _address(text: str | None) -> Address | None:
    """An address as a proxy writes it: bare, [IPv6]:port or IPv4:port."""
    text = (text or "").strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _within(addr: Address, networks: Iterable[Network]) -> bool:
    return any(addr.version == n.version and addr in n for n in networks)


def client_address(peer: str | None, forwarded_for: str | None, networks: tuple[Network, ...]) -> str | None:
    """The client's address: `peer` unless it is a trusted proxy, then from X-Forwarded-For."""
    current = _address(peer)
    if current is None or not networks or not _within(current, networks):
        return peer
    for hop in reversed([h for h in (forwarded_for or "").split(",") if h.strip()]):
        addr = _address(hop)
        if addr is None:
            break  # not written by a proxy we trust: the last trusted hop stands for the client
        current = addr
        if not _within(addr, networks):
            break
    return str(current)


def client_key(address: str | None) -> str:
    """An IPv4 address as it is; an IPv6 one by its /64 (a single host is usually given a whole /64, so
    counting its addresses one by one would give it billions of tries)."""
    addr = _address(address)
    if addr is None:
        return "unknown"
    if isinstance(addr, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


class ForwardedFor:
    """REMOTE_ADDR as the client's address (the connecting one kept in the WSGI environ as "pipeline.peer")."""

    def __init__(self, app: WSGIApplication, networks: tuple[Network, ...]) -> None:
        self.app = app
        self.networks = networks
        self._warned = False

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        peer = environ.get("REMOTE_ADDR")
        forwarded = environ.get("HTTP_X_FORWARDED_FOR")
        environ["pipeline.peer"] = peer
        client = client_address(peer, forwarded, self.networks)
        if client is not None:
            environ["REMOTE_ADDR"] = client
        addr = _address(peer)
        if forwarded and not self._warned and (addr is None or not _within(addr, self.networks)):
            # Most likely a proxy that is not listed: every client behind it is then one client to the
            # login throttle (and a stranger's failures would stop colleagues too).
            self._warned = True
            log.warning("X-Forwarded-For from %s is not trusted (PIPELINE_WEB_TRUSTED_PROXIES does not list it): "
                        "clients behind it count as one for the login throttle", peer)
        return self.app(environ, start_response)
