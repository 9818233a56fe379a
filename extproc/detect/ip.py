"""IP address validators: the address forms, and whether one can point at someone."""

from __future__ import annotations

import ipaddress


def ipv4(value: str) -> bool:
    """A dotted-quad IPv4 address; leading zeros are refused (they read as octal)."""
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def ipv6(value: str) -> bool:
    """An IPv6 address, not a shape of code.

    At least two hex groups (so ``::`` and ``::1`` are not), and with only two
    (``a::b``) the first must be a group of three or four hex digits holding
    a digit (``fe80::1``, ``2001::1``): ``xs[1::2]``, ``A::f`` and
    ``dead::beef`` are a slice and scopes.
    """
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    groups = [group for group in value.split(":") if group]
    if len(groups) >= 3:
        return True
    if len(groups) == 2 and "." in groups[1]:
        return True  # an IPv4 address in IPv6 notation (::ffff:192.0.2.1)
    first = groups[0] if groups else ""
    return len(groups) == 2 and len(first) >= 3 and any(c.isdigit() for c in first)


def ip_address(value: str) -> bool:
    """Either an IPv4 or an IPv6 address."""
    return ipv6(value) if ":" in value else ipv4(value)


# Addresses that identify no one: documentation ranges (RFC 5737, RFC 3849)
# and cloud metadata services.
_DOCUMENTATION = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


def _netmask(address: ipaddress.IPv4Address) -> bool:
    """A netmask (ones then zeros) or a wildcard mask (zeros then ones)."""
    bits = int(address)
    inverse = bits ^ 0xFFFFFFFF
    return (bits != 0 and (inverse & (inverse + 1)) == 0) or (bits & (bits + 1)) == 0


def personal_ip(value: str) -> bool:
    """An IP address that can point at someone: not unspecified, loopback,
    link-local (cloud metadata included), multicast, reserved, a
    documentation range or a netmask."""
    if not ip_address(value):
        return False
    address = ipaddress.ip_address(value.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if (
        address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or (address.version == 4 and address.is_reserved)
        or address in _METADATA
        or any(address in net for net in _DOCUMENTATION if net.version == address.version)
    ):
        return False
    if isinstance(address, ipaddress.IPv4Address):
        # 0.0.0.0/8 is "this network": never the address of a host.
        return not (_netmask(address) or value.startswith("0."))
    return True
