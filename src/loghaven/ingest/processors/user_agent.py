"""The ``user_agent`` processor (ES ``ingest-user-agent``), with ua-parser.

ua-parser runs uap-core's regexes, the same ones ES ships as ``regexes.yml``, and carries
them in its ``ua-parser-builtins`` package, so nothing is fetched at runtime. The output is
ES's ECS shape: ``name``, ``original``, ``version``, ``os {name, version, full}`` and
``device {name}`` (plus ``device.type`` with ``extract_device_type``). Parsing a user agent
runs hundreds of regexes, and logs repeat a few agents, so results go through a bounded LRU
cache (ES's static node setting ``ingest.user_agent.cache_size``, 1000 entries by default, 0
for none), sized by the node at start in the server and in each ingest worker.

``device.type`` is ES's best-effort class (Desktop, Phone, Tablet, Robot, Other); ES derives
it from its own ``device_type_regexes.yml``, here it comes from ua-parser's device, OS and
browser families, so an unusual agent can be classed differently.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from loghaven.errors import IllegalArgument
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import Processor, ProcessorConfig, processor_type
from loghaven.ingest.processors.network import string_field
from loghaven.ingest.processors.options import LookupCache, read_properties

#: ES's ``ingest.user_agent.cache_size`` default.
CACHE_SIZE = 1000
#: ES's ``UserAgentProcessor.Property`` names, in its order.
PROPERTIES = ("NAME", "OS", "DEVICE", "ORIGINAL", "VERSION")
DEFAULT_REGEX_FILE = "regexes.yml"

_DESKTOP_OS = re.compile(r"Windows(?! Phone| Mobile| CE)|Mac OS X|Linux|Ubuntu|Fedora|Debian|"
                         r"Chrome OS|FreeBSD|OpenBSD|NetBSD|Solaris|SUSE|Red Hat|Mint|Gentoo")
_TABLET = re.compile(r"iPad|Tablet|Kindle|Nexus (?:7|9|10)|SM-T|Tab|Surface", re.IGNORECASE)
_PHONE_OS = re.compile(r"iOS|Android|Windows Phone|BlackBerry|KaiOS|Symbian|Firefox OS|Tizen")
_BOT = re.compile(r"bot|crawler|spider|slurp|crawl", re.IGNORECASE)

_parser_lock = threading.Lock()
_parser: Any = None


def _ua_parser() -> Any:
    """ua-parser without its own cache (ours is below), built once per process, on the
    native ``ua-parser-rs`` matcher (60x the pure-Python one) when it is installed."""
    global _parser
    with _parser_lock:
        if _parser is None:
            import ua_parser
            native = ua_parser.RegexResolver is not None
            matchers = ua_parser.load_lazy_builtins() if native else ua_parser.load_builtins()
            _parser = ua_parser.Parser(ua_parser.BestAvailableResolver(matchers))
        return _parser


def _version(parts: Any) -> str | None:
    """``major[.minor[.patch[.build]]]`` as ES joins them; None without a major."""
    if parts is None or parts.major is None:
        return None
    version = parts.major
    for part in (parts.minor, parts.patch, parts.patch_minor):
        if part is None:
            break
        version += "." + part
    return version


def _device_type(result: Any, original: str) -> str:
    device = result.device.family if result.device else "Other"
    os_name = result.os.family if result.os else "Other"
    agent = result.user_agent.family if result.user_agent else "Other"
    if device == "Spider" or _BOT.search(agent):
        return "Robot"
    if _TABLET.search(device) or (os_name == "Android" and "Mobile" not in original):
        return "Tablet"
    if _PHONE_OS.match(os_name) or device in ("iPhone", "iPod", "Generic Smartphone"):
        return "Phone"
    if _DESKTOP_OS.match(os_name):
        return "Desktop"
    return "Other"


def parse_uncached(original: str) -> dict[str, Any]:
    """Every ECS field ES's user_agent processor can write for ``original``."""
    result = _ua_parser().parse(original)
    details: dict[str, Any] = {"original": original}
    agent = result.user_agent
    details["name"] = agent.family if agent and agent.family else "Other"
    version = _version(agent)
    if version is not None:
        details["version"] = version
    os = result.os
    if os is not None and os.family:
        os_details = {"name": os.family}
        os_version = _version(os)
        if os_version is not None:
            os_details["version"] = os_version
            os_details["full"] = f"{os.family} {os_version}"
        details["os"] = os_details
    device = result.device
    details["device"] = {"name": device.family if device and device.family else "Other",
                         "type": _device_type(result, original)}
    return details


parse = LookupCache(parse_uncached, "ingest.user_agent.cache_size", CACHE_SIZE)


@processor_type("user_agent")
class UserAgentProcessor(Processor):
    """Parse the user agent string in ``field`` into ``target_field``."""

    type = "user_agent"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field: str = config.string("field")
        self.target_field: str = config.string("target_field", "user_agent")
        regex_file = config.string("regex_file", DEFAULT_REGEX_FILE)
        self.extract_device_type = config.boolean("extract_device_type", False)
        self.ignore_missing = config.boolean("ignore_missing", False)
        if regex_file != DEFAULT_REGEX_FILE:
            raise config.error("regex_file", f"[regex_file] regex file [{regex_file}] doesn't "
                                             f"exist (has to exist at node startup)")
        self.properties = read_properties(config, PROPERTIES, PROPERTIES)
        config.finish()

    def execute(self, document: IngestDocument) -> IngestDocument:
        original = string_field(document, self.field, self.ignore_missing)
        if original is None:
            if self.ignore_missing:
                return document
            raise IllegalArgument(f"field [{self.field}] is null, cannot parse user-agent.")
        details = parse(original)
        output: dict[str, Any] = {}
        for name in self.properties:
            if name not in details:
                continue
            if name == "device" and not self.extract_device_type:
                output[name] = {"name": details[name]["name"]}
            else:
                output[name] = details[name]
        document.set(self.target_field, output)
        return document
