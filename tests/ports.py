"""Free TCP ports for the processes the tests start, below the kernel's ephemeral range.

A port from bind(0) lies inside that range, and in the seconds before the child process
binds it, an outgoing connection of another test process (the suite runs in several, full of
Kafka and HTTP clients) can take it as its source port: CI saw a broker die with "Address
already in use". Below the range only a listener that asks for a port by number can take it,
and the random pick keeps the suite's processes apart."""

import random
import socket
from pathlib import Path


def free_port(count: int = 1) -> int:
    """A port P on 127.0.0.1, free with P+1 .. P+count-1 (a broker's client and controller
    listeners), below the ephemeral range."""
    low = _ephemeral_low()
    for _ in range(200):
        port = random.randrange(20000, low - count)
        socks = [socket.socket() for _ in range(count)]
        try:
            for i, s in enumerate(socks):
                s.bind(("127.0.0.1", port + i))
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
        return port
    raise RuntimeError(f"no {count} adjacent free ports on 127.0.0.1 between 20000 and {low}")


def _ephemeral_low() -> int:
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
        return max(int(text.split()[0]), 20100)
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default
