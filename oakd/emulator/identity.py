"""Which emulated camera is which: its MX ID and its loopback address follow from its index,
so that the same index and state directory always find the same flash file.
"""

from __future__ import annotations

import ipaddress

MXID_PREFIX = "18443010EA"
DEFAULT_FIRST_IP = "127.0.0.2"


def mxid_for_index(index: int) -> str:
    """The MX ID of camera `index` (see the module docstring)."""
    if not 0 <= index < 1 << 24:
        raise ValueError(f"camera index out of range: {index}")
    return f"{MXID_PREFIX}{index:06X}00"


def addresses(first_ip: str, count: int) -> list[str]:
    """`count` consecutive loopback addresses from `first_ip`; refuses anything else."""
    first = ipaddress.IPv4Address(first_ip)
    out = [first + i for i in range(count)]
    for address in out:
        # The emulator must never be reachable from, or talk to, a real network.
        if not address.is_loopback or address == ipaddress.IPv4Address("127.255.255.255"):
            raise ValueError(f"{address} is not a usable loopback address")
        if address == ipaddress.IPv4Address("127.0.0.1"):
            raise ValueError("127.0.0.1 is left to the host; start at 127.0.0.2")
    return [str(a) for a in out]
