"""The ``community_id`` and ``network_direction`` processors (ES ``ingest-common``).

``community_id`` is the Community ID v1 flow hash (corelight/community-id-spec) computed the
way ES's ``CommunityIdProcessor`` does, so the IDs match Zeek's, Suricata's and ES's for the
same flow. ``network_direction`` classifies a flow by whether each end is in the internal
networks: CIDR ranges or ES's named ranges (``private``, ``public``, ``loopback``, …).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from collections.abc import Callable
from typing import Any

from loghaven.errors import IllegalArgument
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import Processor, ProcessorConfig, processor_type
from loghaven.ingest.processors.dates import render
from loghaven.scripting.evaluate import type_name

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_INT_RE = re.compile(r"[+-]?\d+")


def string_field(document: IngestDocument, path: str, ignore_missing: bool) -> str | None:
    """ES's ``getFieldValue(path, String.class, ignoreMissing)``: the string, None when
    missing (with ``ignore_missing``) or null, ES's cast error for another type."""
    value = document.get(path, ignore_missing=ignore_missing)
    if value is not None and not isinstance(value, str):
        raise IllegalArgument(f"field [{path}] of type [{type_name(value)}] cannot be cast to "
                              f"[java.lang.String]")
    return value


def parse_ip(text: str) -> Address:
    """ES's ``InetAddresses.forString``: an IPv4-mapped IPv6 address is its IPv4 address."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise IllegalArgument(f"'{text}' is not an IP string literal.") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


# ---------------------------------------------------------------------------------------------
# community_id
# ---------------------------------------------------------------------------------------------

_TRANSPORT_NAMES = {"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "ipv6-icmp": 58,
                    "icmpv6": 58, "eigrp": 88, "ospf": 89, "pim": 103, "sctp": 132}
_ICMP, _ICMP6 = 1, 58
_WITH_PORTS = {6, 17, 132, _ICMP, _ICMP6}
# ICMP types and their reply/request counterpart: a two-way ICMP exchange hashes like a
# port pair; any other type is one-way (spec: "ICMP and ICMPv6").
_ICMP4_EQUIVALENT = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 10: 9, 9: 10, 17: 18, 18: 17}
_ICMP6_EQUIVALENT = {128: 129, 129: 128, 133: 134, 134: 133, 136: 135, 135: 136, 130: 131,
                     139: 140, 140: 139, 144: 145, 145: 144}


def _transport_number(value: Any) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = int(value)
    elif isinstance(value, str):
        named = _TRANSPORT_NAMES.get(value.lower())
        if named is not None:
            return named
        if not _INT_RE.fullmatch(value):
            raise IllegalArgument(f"could not convert string [{value}] to transport protocol")
        number = int(value)
    else:
        raise IllegalArgument(f"could not convert value of type [{type_name(value)}] to "
                              f"transport protocol")
    if not 0 <= number < 255:
        raise IllegalArgument(f"invalid transport protocol number [{number}]")
    return number


def _integer(value: Any, what: str) -> int:
    """ES's ``parseIntFromObjectOrString``: null is 0, numbers are truncated."""
    if value is None:
        return 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and _INT_RE.fullmatch(value) and -2**31 <= int(value) < 2**31:
        return int(value)
    raise IllegalArgument(f"unable to parse {what} [{value}]")


def _port(value: Any, what: str) -> int:
    port = _integer(value, what)
    if not 0 <= port <= 65535:
        raise IllegalArgument(f"invalid {what} [{value}]")
    return port


def community_id(source: Address, destination: Address, protocol: int, source_port: int,
                 destination_port: int, seed: int = 0) -> str:
    """The v1 Community ID of a flow; for ICMP the ports are the ICMP type and code."""
    if protocol in (_ICMP, _ICMP6):
        equivalents = _ICMP6_EQUIVALENT if protocol == _ICMP6 else _ICMP4_EQUIVALENT
        equivalent = equivalents.get(source_port)
        one_way = equivalent is None
        if equivalent is not None:
            destination_port = equivalent
    else:
        one_way = False
    src, dst = int(source), int(destination)
    keep = one_way or src < dst or (src == dst and source_port < destination_port)
    if not keep:
        source, destination = destination, source
        source_port, destination_port = destination_port, source_port
    data = seed.to_bytes(2, "big") + source.packed + destination.packed + bytes((protocol, 0))
    if protocol in _WITH_PORTS:
        data += source_port.to_bytes(2, "big") + destination_port.to_bytes(2, "big")
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode("ascii")


@processor_type("community_id")
class CommunityIdProcessor(Processor):
    """Hash the flow's endpoints and transport into ``network.community_id``."""

    type = "community_id"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.source_ip = config.string("source_ip", "source.ip")
        self.source_port = config.string("source_port", "source.port")
        self.destination_ip = config.string("destination_ip", "destination.ip")
        self.destination_port = config.string("destination_port", "destination.port")
        self.iana_number = config.string("iana_number", "network.iana_number")
        self.transport = config.string("transport", "network.transport")
        self.icmp_type = config.string("icmp_type", "icmp.type")
        self.icmp_code = config.string("icmp_code", "icmp.code")
        self.target_field = config.string("target_field", "network.community_id")
        self.seed = config.integer("seed", 0)
        if not 0 <= self.seed <= 65535:
            raise config.error("seed", "[seed] must be a value between 0 and 65535")
        self.ignore_missing = config.boolean("ignore_missing", True)
        config.finish()

    def _flow_id(self, document: IngestDocument) -> str | None:
        missing = self.ignore_missing
        source = string_field(document, self.source_ip, missing)
        destination = string_field(document, self.destination_ip, missing)
        if source is None or destination is None:
            return None
        source_address, destination_address = parse_ip(source), parse_ip(destination)
        protocol_value = document.get(self.iana_number, ignore_missing=True)
        if protocol_value is None:
            protocol_value = document.get(self.transport, ignore_missing=missing)
            if protocol_value is None:
                return None
        protocol = _transport_number(protocol_value)
        source_port = destination_port = 0
        if protocol in (6, 17, 132):
            source_port = _port(document.get(self.source_port, ignore_missing=missing),
                                "source port")
            destination_port = _port(document.get(self.destination_port,
                                                   ignore_missing=missing), "destination port")
        elif protocol in (_ICMP, _ICMP6):
            source_port = _integer(document.get(self.icmp_type, ignore_missing=True),
                                   "icmp type")
            destination_port = _integer(document.get(self.icmp_code, ignore_missing=True),
                                        "icmp code")
        return community_id(source_address, destination_address, protocol, source_port,
                            destination_port, self.seed)

    def execute(self, document: IngestDocument) -> IngestDocument:
        flow_id = self._flow_id(document)
        if flow_id is None:
            if self.ignore_missing:
                return document
            raise IllegalArgument("unable to construct flow from document")
        document.set(self.target_field, flow_id)
        return document


# ---------------------------------------------------------------------------------------------
# network_direction
# ---------------------------------------------------------------------------------------------

_PRIVATE = tuple(ipaddress.ip_network(n) for n in
                 ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"))
_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


def _in(address: Address, networks: tuple[Any, ...]) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def _multicast_scope(address: Address, scope: int, ipv4: str | None = None) -> bool:
    """Java's ``isMCNodeLocal`` (scope 1) / ``isMCLinkLocal`` (scope 2)."""
    if isinstance(address, ipaddress.IPv6Address):
        packed = address.packed
        return packed[0] == 0xFF and packed[1] & 0x0F == scope
    return ipv4 is not None and address in ipaddress.ip_network(ipv4)


def _unspecified(a: Address) -> bool:
    return a.is_unspecified


def _unicast(a: Address) -> bool:
    return not (a == _BROADCAST or a.is_unspecified or a.is_loopback or a.is_multicast
                or a.is_link_local)


def _public(a: Address) -> bool:
    return not (_in(a, _PRIVATE) or a.is_loopback or a.is_unspecified or a.is_link_local
                or _multicast_scope(a, 2, "224.0.0.0/24") or _multicast_scope(a, 1)
                or a == _BROADCAST)


#: ES's named networks (``NetworkDirectionProcessor``), with Java's InetAddress semantics.
NAMED_NETWORKS: dict[str, Callable[[Address], bool]] = {
    "loopback": lambda a: a.is_loopback,
    "global_unicast": _unicast,
    "unicast": _unicast,
    "link_local_unicast": lambda a: a.is_link_local,
    "interface_local_multicast": lambda a: _multicast_scope(a, 1),
    "link_local_multicast": lambda a: _multicast_scope(a, 2, "224.0.0.0/24"),
    "multicast": lambda a: a.is_multicast,
    "unspecified": _unspecified,
    "private": lambda a: _in(a, _PRIVATE),
    "public": _public,
}


def in_network(address: Address, network: str) -> bool:
    """Whether ``address`` is in a named network or a CIDR range (ES's ``CIDRUtils``)."""
    named = NAMED_NETWORKS.get(network)
    if named is not None:
        return named(address)
    if "/" not in network:
        raise IllegalArgument(f"Expected [ip/prefix] but was [{network}]")
    try:
        cidr = ipaddress.ip_network(network, strict=False)
    except ValueError:
        raise IllegalArgument(f"'{network.split('/')[0]}' is not an IP string literal.") from None
    return address.version == cidr.version and address in cidr


@processor_type("network_direction")
class NetworkDirectionProcessor(Processor):
    """``inbound``/``outbound``/``internal``/``external`` from the two ends of a flow."""

    type = "network_direction"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.source_ip = config.string("source_ip", "source.ip")
        self.destination_ip = config.string("destination_ip", "destination.ip")
        self.target_field = config.string("target_field", "network.direction")
        self.ignore_missing = config.boolean("ignore_missing", True)
        self.internal_networks: list[str] | None = config.strings("internal_networks", None)
        self.internal_networks_field: str | None = config.string("internal_networks_field",
                                                                 None)
        if self.internal_networks is None and self.internal_networks_field is None:
            raise config.error("internal_networks", "[internal_networks] or "
                                                    "[internal_networks_field] must be specified")
        if self.internal_networks is not None and self.internal_networks_field is not None:
            raise config.error("internal_networks", "[internal_networks] and "
                                                    "[internal_networks_field] cannot both be "
                                                    "used in the same processor")
        config.finish()

    def _networks(self, document: IngestDocument) -> list[str] | None:
        if self.internal_networks_field is None:
            return [render(n, document) for n in self.internal_networks or ()]
        path = self.internal_networks_field
        networks = document.get(path, ignore_missing=self.ignore_missing)
        if networks is not None and not isinstance(networks, list):
            raise IllegalArgument(f"field [{path}] of type [{type_name(networks)}] cannot be "
                                  f"cast to [java.util.ArrayList]")
        return networks

    def _direction(self, document: IngestDocument) -> str | None:
        networks = self._networks(document)
        if networks is None:
            return None
        source = string_field(document, self.source_ip, self.ignore_missing)
        if source is None:
            return None
        destination = string_field(document, self.destination_ip, self.ignore_missing)
        if destination is None:
            return None
        source_address, destination_address = parse_ip(source), parse_ip(destination)
        source_internal = any(in_network(source_address, n) for n in networks)
        destination_internal = any(in_network(destination_address, n) for n in networks)
        if source_internal:
            return "internal" if destination_internal else "outbound"
        return "inbound" if destination_internal else "external"

    def execute(self, document: IngestDocument) -> IngestDocument:
        direction = self._direction(document)
        if direction is None:
            if self.ignore_missing:
                return document
            raise IllegalArgument("unable to calculate network direction from document")
        document.set(self.target_field, direction)
        return document
