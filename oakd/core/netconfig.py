"""Network settings for a camera, checked before anything is written: a wrong static IP, mask
or gateway soft-bricks a camera (it can only be recovered by opening it)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


class NetworkConfigError(ValueError):
    """Settings that must not be written; the message says what is wrong."""


@dataclass(frozen=True)
class StaticIPv4:
    """A checked static configuration."""

    address: str
    mask: str
    gateway: str
    dns: str | None


def check_static(static: str, gateway: str | None, dns: str | None) -> StaticIPv4:
    """Check "ADDR/PREFIX" with a gateway (and DNS) the way a careful person would."""
    try:
        iface = ipaddress.IPv4Interface(static)
    except ValueError:
        raise NetworkConfigError(
            f"{static!r} is not an IPv4 address with a prefix, like 192.168.1.50/24"
        ) from None
    if "/" not in static:
        raise NetworkConfigError(f"give the prefix too, like {static}/24")
    net = iface.network
    address = iface.ip
    if net.prefixlen > 30 or net.prefixlen < 8:
        raise NetworkConfigError(f"a /{net.prefixlen} network is not usable for a camera (8..30)")
    if address in (net.network_address, net.broadcast_address):
        kind = "network" if address == net.network_address else "broadcast"
        raise NetworkConfigError(f"{address} is the {kind} address of {net}; choose a host address")
    if address.is_loopback or address.is_multicast or address.is_unspecified:
        raise NetworkConfigError(f"{address} cannot be a camera's address")
    if gateway is None:
        raise NetworkConfigError("a static address needs --gateway (the router on that subnet)")
    try:
        gw = ipaddress.IPv4Address(gateway)
    except ValueError:
        raise NetworkConfigError(f"gateway {gateway!r} is not an IPv4 address") from None
    if gw not in net:
        raise NetworkConfigError(f"gateway {gw} is not in the camera's subnet {net}")
    if gw in (net.network_address, net.broadcast_address) or gw == address:
        raise NetworkConfigError(f"gateway {gw} cannot be the network, broadcast or camera address")
    if dns is not None:
        try:
            ipaddress.IPv4Address(dns)
        except ValueError:
            raise NetworkConfigError(f"DNS server {dns!r} is not an IPv4 address") from None
    return StaticIPv4(str(address), str(net.netmask), str(gw), dns)
