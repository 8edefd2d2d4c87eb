"""Which interfaces oakd's mDNS uses, and the addresses a daemon announces.

python-zeroconf sends on each interface address it is given (IP_MULTICAST_IF) and joins
224.0.0.251 there, so a list of addresses works even on a loopback that has no MULTICAST flag
and no multicast route (the test suite's namespace); its `InterfaceChoice.Default` (0.0.0.0)
would need such a route. IPv4 only: zeroconf cannot use IPv6 on loopback, so it could not be
tested, and every network the cameras are on has IPv4 (their discovery is IPv4 broadcast).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import ifaddr
from zeroconf import InterfaceChoice, InterfacesType


def interface_choice(addresses: Sequence[str]) -> InterfacesType:
    """python-zeroconf's interfaces: the given addresses, or every interface when none."""
    return list(addresses) if addresses else InterfaceChoice.All


def _host_ipv4() -> list[tuple[ipaddress.IPv4Interface, bool]]:
    """Every IPv4 address of this host with its network, and whether it is on loopback."""
    found = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if ip.is_IPv4 and isinstance(ip.ip, str):
                iface = ipaddress.IPv4Interface(f"{ip.ip}/{ip.network_prefix}")
                found.append((iface, iface.ip.is_loopback))
    return found


def announced_addresses(chosen: Sequence[str]) -> list[str]:
    """The addresses a daemon puts in its A records (getifaddrs: call it off the event loop).

    The chosen addresses that the host has; with none chosen, every address but loopback, which
    would send a remote browser to itself; loopback only when the host has nothing else."""
    host = _host_ipv4()
    present = [str(iface.ip) for iface, _ in host]
    if chosen:
        return [a for a in chosen if a in present]
    outside = [str(iface.ip) for iface, loopback in host if not loopback]
    return sorted(set(outside or present), key=ipaddress.IPv4Address)


def reachable_first(addresses: Sequence[str]) -> list[str]:
    """`addresses` with those on one of this host's networks first (getifaddrs: off the loop).

    A daemon lists every address of its host, a Docker bridge's too; one on a network we are on
    is the one an SSH connection can reach without a route."""
    networks = [iface.network for iface, _ in _host_ipv4()]

    def near(address: str) -> bool:
        try:
            ip = ipaddress.IPv4Address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)

    return sorted(addresses, key=lambda a: not near(a))
