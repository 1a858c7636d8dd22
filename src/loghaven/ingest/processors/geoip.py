"""The ``geoip`` processor (ES ``ingest-geoip``), offline, from data shipped in packages.

Two packages ship MaxMind GeoLite2 data, so lookups never touch the network:

- geoip2fast (2024 data): country ranges for IPv4 and IPv6 (``geoip2fast-ipv6.dat.gz``,
  about 60 MB once loaded) and the same with ASNs (``geoip2fast-asn-ipv6.dat.gz``), loaded on
  a process's first lookup (the ASN file only when an ASN database is asked for: the library
  holds one file per process);
- maxminddb-geolite2 (the GeoLite2-City database of 2018-07-03, CC BY-SA 4.0), read with
  maxminddb's C reader over a memory map that the ingest worker processes share, opened once
  per process.

What each of ES's output fields is filled from:

- ``country_iso_code``, ``country_name``: geoip2fast's (newer) country; the City file's only
  when geoip2fast has none for the address;
- ``continent_code``, ``continent_name``: derived from the country code (GeoNames'
  continents, which MaxMind uses);
- ``region_iso_code`` (``country-subdivision``, as ES builds it), ``region_name``,
  ``city_name``, ``timezone``, ``location`` {lat, lon}: the City file (most specific
  subdivision, English names, as ES), only when its country agrees with the one above, so
  that a range reassigned since 2018 never gets a city of another country;
- ``organization_name``, ``network``: geoip2fast's ASN name and the ASN's CIDR range;
- ``ip``: the address looked up.

The data has no AS numbers, so ``asn`` is accepted but never set, as ES leaves out a field
its database has no value for. Private, reserved and unknown addresses give no fields at all,
as in ES. Lookups go through a bounded LRU cache (ES's static node setting
``ingest.geoip.cache_size``, 1000 entries by default, 0 for none) because logs repeat
addresses; the node sets its size at start, in the server and in each ingest worker. Once a
process has loaded the ASN data, a country lookup is the ASN lookup (same data, same call), so
a pipeline that asks for both costs one lookup per address.
"""

from __future__ import annotations

import threading
from typing import Any

from loghaven.errors import IllegalArgument
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import Processor, ProcessorConfig, processor_type
from loghaven.ingest.processors.network import parse_ip
from loghaven.ingest.processors.options import LookupCache, read_properties

#: ES's ``ingest.geoip.cache_size`` default.
CACHE_SIZE = 1000
#: The package's data file without and with ASNs.
_DATA_FILES = {False: "geoip2fast-ipv6.dat.gz", True: "geoip2fast-asn-ipv6.dat.gz"}

#: ES's ``Database.Property`` order (used in its error message).
_PROPERTY_ORDER = ("IP", "COUNTRY_ISO_CODE", "COUNTRY_NAME", "CONTINENT_CODE", "CONTINENT_NAME",
                   "REGION_ISO_CODE", "REGION_NAME", "CITY_NAME", "TIMEZONE", "LOCATION", "ASN",
                   "ORGANIZATION_NAME", "NETWORK")
_CITY = _PROPERTY_ORDER[:10]
_COUNTRY = _PROPERTY_ORDER[:5]
_ASN = ("IP", *_PROPERTY_ORDER[10:])
#: database_file -> (valid properties, default properties), as ES's ``Database`` enum.
DATABASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "GeoLite2-City.mmdb": (_CITY, ("COUNTRY_ISO_CODE", "COUNTRY_NAME", "CONTINENT_NAME",
                                   "REGION_ISO_CODE", "REGION_NAME", "CITY_NAME", "LOCATION")),
    "GeoLite2-Country.mmdb": (_COUNTRY, ("CONTINENT_NAME", "COUNTRY_NAME", "COUNTRY_ISO_CODE")),
    "GeoLite2-ASN.mmdb": (_ASN, _ASN),
}

_CONTINENTS = {
    "AF": ("Africa", "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE "
                     "KM LR LS LY MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST "
                     "SZ TD TG TN TZ UG YT ZA ZM ZW"),
    "AN": ("Antarctica", "AQ BV GS HM TF"),
    "AS": ("Asia", "AE AF AM AZ BD BH BN BT CC CN CX GE HK ID IL IN IO IQ IR JO JP KG KH KP "
                   "KR KW KZ LA LB LK MM MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR "
                   "TW UZ VN YE"),
    "EU": ("Europe", "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU "
                     "IE IM IS IT JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ "
                     "SK SM UA VA XK"),
    "NA": ("North America", "AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT "
                            "JM KN KY LC MF MQ MS MX NI PA PM PR SV SX TC TT US VC VG VI"),
    "OC": ("Oceania", "AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM "
                      "VU WF WS"),
    "SA": ("South America", "AR BO BR CL CO EC FK GF GY PE PY SR UY VE"),
}
#: Country ISO code -> (continent code, continent name).
CONTINENT_OF = {country: (code, name) for code, (name, countries) in _CONTINENTS.items()
                for country in countries.split()}

_lock = threading.Lock()
_database: Any = None
_database_has_asn = False


def _city_record(ip: str) -> dict[str, Any] | None:
    """The GeoLite2-City record of ``ip`` (None when it has none); the package opens its
    reader once per process, lazily, under its own lock."""
    from geolite2 import geolite2
    record: dict[str, Any] | None = geolite2.reader().get(ip)
    return record


def _english(part: dict[str, Any] | None) -> str | None:
    return None if not part else part.get("names", {}).get("en")


def _city_fields(record: dict[str, Any], country: str) -> dict[str, Any]:
    """ES's City fields below the country, from a City record located in ``country``."""
    if record.get("country", {}).get("iso_code") != country:
        return {}
    fields: dict[str, Any] = {}
    subdivisions = record.get("subdivisions") or []
    if subdivisions:
        region = subdivisions[-1]  # ES's getMostSpecificSubdivision
        if region.get("iso_code"):
            fields["region_iso_code"] = f"{country}-{region['iso_code']}"
        if _english(region):
            fields["region_name"] = _english(region)
    if _english(record.get("city")):
        fields["city_name"] = _english(record.get("city"))
    location = record.get("location") or {}
    if location.get("time_zone"):
        fields["timezone"] = location["time_zone"]
    if location.get("latitude") is not None and location.get("longitude") is not None:
        fields["location"] = {"lat": location["latitude"], "lon": location["longitude"]}
    return fields


def lookup_uncached(ip: str, asn: bool) -> dict[str, Any] | None:
    """Every field the package has for ``ip`` (ES's names), with the ASN fields if ``asn``;
    None when it has nothing for it (a private, reserved or unknown address)."""
    global _database, _database_has_asn
    address = parse_ip(ip)
    with _lock:  # the library keeps its tables in module globals, swapped by a load
        if _database is None or (asn and not _database_has_asn):
            from geoip2fast import GeoIP2Fast
            _database = GeoIP2Fast(geoip2fast_data_file=_DATA_FILES[asn])
            _database_has_asn = asn
        found = _database.lookup(str(address))
    if found.is_private:
        return None
    code, name = found.country_code, found.country_name
    # also with ``asn``: once the ASN data is loaded, City lookups come through here too
    city = _city_record(str(address))
    if len(code) != 2 or not code.isalpha():  # geoip2fast has no country: the City file's
        country = (city or {}).get("country") or {}
        code, name = country.get("iso_code"), _english(country)
        if not code:
            return None
    record: dict[str, Any] = {"ip": str(address), "country_iso_code": code}
    if name:
        record["country_name"] = name
    if city is not None:
        record.update(_city_fields(city, code))
    continent = CONTINENT_OF.get(code)
    if continent is not None:
        record["continent_code"], record["continent_name"] = continent
    if found.asn_name and found.asn_name != "<unknown>":
        record["organization_name"] = found.asn_name
        record["network"] = found.asn_cidr
    return record


lookup = LookupCache(lookup_uncached, "ingest.geoip.cache_size", CACHE_SIZE)


@processor_type("geoip")
class GeoIpProcessor(Processor):
    """Add the location and network owner of the IP address in ``field`` to
    ``target_field``."""

    type = "geoip"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field: str = config.string("field")
        self.target_field: str = config.string("target_field", "geoip")
        self.database_file: str = config.string("database_file", "GeoLite2-City.mmdb")
        self.ignore_missing = config.boolean("ignore_missing", False)
        self.first_only = config.boolean("first_only", True)
        config.boolean("download_database_on_pipeline_creation", True)  # nothing to download
        database = DATABASES.get(self.database_file)
        if database is None:
            raise config.error("database_file", f"[database_file] database file "
                                                f"[{self.database_file}] doesn't exist")
        valid, defaults = database
        self.properties = read_properties(config, valid, defaults)
        # The record an address must have in the chosen database to give any field.
        self.asn = valid is _ASN
        self.required = "organization_name" if self.asn else "country_iso_code"
        config.finish()

    def _data(self, ip: str) -> dict[str, Any]:
        record = lookup(ip, self.asn or _database_has_asn)
        if record is None or self.required not in record:
            return {}
        return {name: record[name] for name in self.properties if name in record}

    def execute(self, document: IngestDocument) -> IngestDocument:
        value = document.get(self.field, ignore_missing=self.ignore_missing)
        if value is None:
            if self.ignore_missing:
                return document
            raise IllegalArgument(f"field [{self.field}] is null, cannot extract geoip "
                                  f"information.")
        if isinstance(value, str):
            data = self._data(value)
            if data:
                document.set(self.target_field, data)
            return document
        if not isinstance(value, list):
            raise IllegalArgument(f"field [{self.field}] should contain only string or array "
                                  f"of strings")
        found: list[dict[str, Any] | None] = []
        for item in value:
            if not isinstance(item, str):
                raise IllegalArgument(f"array in field [{self.field}] should only contain "
                                      f"strings")
            data = self._data(item)
            if data and self.first_only:
                document.set(self.target_field, data)
                return document
            found.append(data or None)
        if any(found):
            document.set(self.target_field, found)
        return document
