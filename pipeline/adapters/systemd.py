"""systemd's notification protocol (sd_notify): READY=1 when a service is up, WATCHDOG=1 while it is alive.

Outside systemd (no NOTIFY_SOCKET) every call does nothing. A datagram to a Unix socket is all it takes, so
no library: the units in deploy/ set Type=notify, and the worker's WatchdogSec= restarts a worker whose
loop has hung (a pass that stops, an IDLE that never returns).
"""

from __future__ import annotations

import os
import socket


def notify(state: str) -> bool:
    """Send `state` ("READY=1", "WATCHDOG=1", "STOPPING=1", "STATUS=...") to systemd; False when not under
    systemd or the socket is gone."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
        return True
    except OSError:
        return False
