"""The date and enrichment processors through the registry, with ES's examples and messages:
date, date_index_name, geoip, user_agent, community_id and network_direction."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest

import loghaven.ingest.processors  # noqa: F401  (fills the registry)
from loghaven.engine.names import resolve_date_math
from loghaven.errors import IllegalArgument
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import PROCESSORS, ConfigurationError, ProcessorConfig
from loghaven.ingest.processors import geoip, user_agent


def processor(type_name: str, **options: Any):
    return PROCESSORS[type_name](ProcessorConfig(type_name, "t1", options))


def run(type_name: str, source: dict[str, Any], **options: Any) -> dict[str, Any]:
    document = IngestDocument(source)
    processor(type_name, **options).execute(document)
    return document.fields


def fails(type_name: str, source: dict[str, Any], **options: Any) -> str:
    with pytest.raises(IllegalArgument) as raised:
        run(type_name, source, **options)
    return raised.value.reason


def config_error(type_name: str, **options: Any) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as raised:
        processor(type_name, **options)
    return raised.value


# ---------------------------------------------------------------------------------------------
# date
# ---------------------------------------------------------------------------------------------


def test_date_docs_example_pattern_in_timezone():
    out = run("date", {"initial_date": "25/04/2016 12:02:01"}, field="initial_date",
              target_field="timestamp", formats=["dd/MM/yyyy HH:mm:ss"],
              timezone="Europe/Amsterdam")
    assert out["timestamp"] == "2016-04-25T12:02:01.000+02:00"


@pytest.mark.parametrize(("value", "fmt", "expected"), [
    ("2016-04-25T12:02:01.789Z", "ISO8601", "2016-04-25T12:02:01.789Z"),
    ("2016-04-25T12:02:01+02:00", "ISO8601", "2016-04-25T10:02:01.000Z"),
    ("1461585721", "UNIX", "2016-04-25T12:02:01.000Z"),
    ("1461585721.7899", "UNIX", "2016-04-25T12:02:01.789Z"),
    (1461585721789, "UNIX_MS", "2016-04-25T12:02:01.789Z"),
    ("4000000050d506482dbdf024", "TAI64N", "2012-12-22T01:00:46.767Z"),
    ("@4000000050d506482dbdf024", "TAI64N", "2012-12-22T01:00:46.767Z"),
    ("2016-04-25", "yyyy-MM-dd", "2016-04-25T00:00:00.000Z"),
    ("25 Apr 2016 12:02", "dd MMM yyyy HH:mm", "2016-04-25T12:02:00.000Z"),
    ("1461585721789", "epoch_millis", "2016-04-25T12:02:01.789Z"),
])
def test_date_formats(value, fmt, expected):
    assert run("date", {"d": value}, field="d", formats=[fmt])["@timestamp"] == expected


def test_date_tries_formats_in_order_and_keeps_source():
    out = run("date", {"d": "1461585721789"}, field="d", formats=["ISO8601", "UNIX_MS"])
    assert out == {"d": "1461585721789", "@timestamp": "2016-04-25T12:02:01.789Z"}


def test_date_value_without_zone_is_read_in_timezone_and_output_there():
    out = run("date", {"d": "2016-01-15T08:00:00"}, field="d", formats=["ISO8601"],
              timezone="America/New_York")
    assert out["@timestamp"] == "2016-01-15T08:00:00.000-05:00"


def test_date_pattern_without_year_takes_the_current_year():
    out = run("date", {"d": "Dec 04 10:00:01"}, field="d", formats=["MMM dd HH:mm:ss"])
    assert out["@timestamp"] == f"{time.gmtime().tm_year}-12-04T10:00:01.000Z"


def test_date_timezone_and_locale_templates_and_output_format():
    out = run("date", {"d": "25/04/2016 12:02:01", "tz": "Asia/Tokyo", "lang": "en_US"},
              field="d", formats=["dd/MM/yyyy HH:mm:ss"], timezone="{{tz}}",
              locale="{{lang}}", output_format="yyyy/MM/dd HH:mm XXX")
    assert out["@timestamp"] == "2016/04/25 12:02 +09:00"


@pytest.mark.parametrize(("locale", "text", "pattern", "expected"), [
    # Java's CLDR names: German and French abbreviations carry a dot where CLDR has one
    ("de", "10/Okt./2024:13:55:36", "dd/MMM/yyyy:HH:mm:ss", "2024-10-10T13:55:36.000Z"),
    ("de", "10/Okt/2024:13:55:36", "dd/LLL/yyyy:HH:mm:ss", "2024-10-10T13:55:36.000Z"),
    ("de_DE", "Donnerstag, 7. März 2024", "EEEE, d. MMMM yyyy", "2024-03-07T00:00:00.000Z"),
    ("de-AT", "Mi., 6. März 2024", "EEE, d. MMM yyyy", "2024-03-06T00:00:00.000Z"),
    ("fr", "5 janv. 2024", "d MMM yyyy", "2024-01-05T00:00:00.000Z"),
    ("fr-FR", "lundi 5 février 2024 14:30", "EEEE d MMMM yyyy HH:mm",
     "2024-02-05T14:30:00.000Z"),
    ("fr", "1 août 2024", "d MMM yyyy", "2024-08-01T00:00:00.000Z"),
    ("es", "mié, 7 feb 2024 03:04 p. m.", "EEE, d MMM yyyy hh:mm a",
     "2024-02-07T15:04:00.000Z"),
    ("es", "7 de septiembre de 2024", "d 'de' MMMM 'de' yyyy", "2024-09-07T00:00:00.000Z"),
    ("pt-BR", "sexta-feira, 9 de fevereiro de 2024", "EEEE, d 'de' MMMM 'de' yyyy",
     "2024-02-09T00:00:00.000Z"),
    ("it", "12 dic 2024", "dd MMM yyyy", "2024-12-12T00:00:00.000Z"),
    # ROOT (the default) and English; a language CLDR has no data for falls back to ROOT
    ("ROOT", "Thu, 7 Mar 2024 10:00 PM", "EEE, d MMM yyyy hh:mm a", "2024-03-07T22:00:00.000Z"),
    ("en_GB", "7 March 2024", "d MMMM yyyy", "2024-03-07T00:00:00.000Z"),
    ("de-US", "10 Okt. 2024", "d MMM yyyy", "2024-10-10T00:00:00.000Z"),
])
def test_date_locale_month_and_day_names(locale, text, pattern, expected):
    out = run("date", {"d": text}, field="d", formats=[pattern], locale=locale)
    assert out["@timestamp"] == expected


def test_date_locale_words_are_the_locales_only():
    # English names do not parse in German, nor German in the default ROOT locale.
    assert fails("date", {"d": "10 Oct 2024"}, field="d", formats=["d MMM yyyy"],
                 locale="de") == "unable to parse date [10 Oct 2024]"
    assert fails("date", {"d": "10 Okt. 2024"}, field="d", formats=["d MMM yyyy"]) == \
        "unable to parse date [10 Okt. 2024]"
    # ES's LocaleUtils.parse refuses an unknown language or country or too many parts,
    # which fails every format.
    for locale in ("yz", "en-YZ", "de_DE_x_y"):
        assert fails("date", {"d": "10 Oct 2024"}, field="d", formats=["d MMM yyyy"],
                     locale=locale) == "unable to parse date [10 Oct 2024]"
    # A locale-less format ignores it.
    out = run("date", {"d": "2024-10-10"}, field="d", formats=["ISO8601"], locale="de")
    assert out["@timestamp"] == "2024-10-10T00:00:00.000Z"


def test_date_errors_are_es_messages():
    assert fails("date", {"d": "not a date"}, field="d",
                 formats=["ISO8601", "UNIX"]) == "unable to parse date [not a date]"
    assert fails("date", {"d": None}, field="d", formats=["ISO8601"]) == \
        "unable to parse date [null]"
    assert fails("date", {"d": ["2016", None]}, field="d", formats=["yyyy"]) == \
        "unable to parse date [[2016, null]]"
    assert fails("date", {}, field="d", formats=["ISO8601"]) == \
        "field [d] not present as part of path [d]"
    # an invalid pattern or zone fails each document, as ES compiles them lazily
    assert fails("date", {"d": "2016"}, field="d", formats=["qqqq"]) == \
        "unable to parse date [2016]"
    assert fails("date", {"d": "2016-04-25"}, field="d", formats=["ISO8601"],
                 timezone="Mars/Olympus") == "unable to parse date [2016-04-25]"
    assert config_error("date", field="d").reason == "[formats] required property is missing"
    assert config_error("date", formats=["ISO8601"]).reason == \
        "[field] required property is missing"
    with pytest.raises(IllegalArgument, match=r"invalid output format \[yyyy-MM-dd'T\]"):
        processor("date", field="d", formats=["ISO8601"], output_format="yyyy-MM-dd'T")
    unknown = config_error("date", field="d", formats=["ISO8601"], format="x")
    assert unknown.reason == ("processor [date] doesn't support one or more provided "
                              "configuration parameters [format]")


# ---------------------------------------------------------------------------------------------
# date_index_name
# ---------------------------------------------------------------------------------------------


def test_date_index_name_docs_example_sets_a_date_math_index():
    out = run("date_index_name", {"date1": "2016-04-25T12:02:01.789Z"}, field="date1",
              index_name_prefix="my-index-", date_rounding="M")
    assert out["_index"] == "<my-index-{2016-04-25||/M{yyyy-MM-dd|UTC}}>"
    assert resolve_date_math(out["_index"]) == "my-index-2016-04-01"


def test_date_index_name_formats_zone_and_templates():
    out = run("date_index_name", {"ts": 1461628800000, "team": "ops"}, field="ts",
              index_name_prefix="{{team}}-", date_rounding="d",
              date_formats=["UNIX_MS"], timezone="Europe/Amsterdam",
              index_name_format="yyyy.MM.dd")
    # 2016-04-26T00:00Z is 02:00 in Amsterdam: the same day there
    assert out["_index"] == "<ops-{2016.04.26||/d{yyyy.MM.dd|Europe/Amsterdam}}>"
    daily = run("date_index_name", {"ts": "1461628800000"}, field="ts", date_rounding="d",
                date_formats=["UNIX_MS"], timezone="Europe/Amsterdam")
    assert resolve_date_math(daily["_index"]) == "2016-04-26"
    for zone, printed in (("Z", "UTC"), ("+00:00", "UTC"), ("GMT", "GMT"), ("-05:00", "-05:00")):
        out = run("date_index_name", {"d": "2016-04-25T12:02:01.789Z"}, field="d",
                  date_rounding="d", timezone=zone)
        assert out["_index"].endswith(f"{{yyyy-MM-dd|{printed}}}}}>")
    weekly = run("date_index_name", {"d": "2016-04-28T10:00:00.000+0000"}, field="d",
                 date_rounding="w")
    assert resolve_date_math(weekly["_index"]) == "2016-04-25"


def test_date_index_name_parses_in_its_locale():
    out = run("date_index_name", {"d": "10 Okt. 2024"}, field="d", date_rounding="M",
              date_formats=["d MMM yyyy"], locale="de-DE")
    assert resolve_date_math(out["_index"]) == "2024-10-01"


def test_date_index_name_errors():
    assert fails("date_index_name", {"d": "April"}, field="d", date_rounding="d") == \
        "unable to parse date [April]"
    assert config_error("date_index_name", field="d").reason == \
        "[date_rounding] required property is missing"
    with pytest.raises(IllegalArgument, match=r"Invalid format: \[qq\]"):
        processor("date_index_name", field="d", date_rounding="d", date_formats=["qq"])
    with pytest.raises(IllegalArgument, match="Invalid language tag specified: en_US"):
        processor("date_index_name", field="d", date_rounding="d", locale="en_US")


# ---------------------------------------------------------------------------------------------
# geoip
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ip", "country", "name", "continent"), [
    ("89.160.20.128", "SE", "Sweden", "Europe"),  # ES's docs example
    ("8.8.8.8", "US", "United States", "North America"),
    ("1.1.1.1", "AU", "Australia", "Oceania"),
    ("175.16.199.0", "CN", "China", "Asia"),
    ("2a02:cf40::", "DK", "Denmark", "Europe"),
])
def test_geoip_country_database_fills_country_and_continent(ip, country, name, continent):
    out = run("geoip", {"ip": ip}, field="ip", database_file="GeoLite2-Country.mmdb")
    assert out["geoip"] == {"country_iso_code": country, "country_name": name,
                            "continent_name": continent}


def test_geoip_city_database_default_properties():
    """ES's default City properties, from the GeoLite2-City data shipped offline."""
    out = run("geoip", {"ip": "89.160.20.128"}, field="ip")
    assert out["geoip"] == {
        "continent_name": "Europe", "country_iso_code": "SE", "country_name": "Sweden",
        "region_iso_code": "SE-AB", "region_name": "Stockholm", "city_name": "Stockholm",
        "location": {"lat": 59.3333, "lon": 18.05}}
    # An address located only to its country has a location but no city or region.
    assert run("geoip", {"ip": "8.8.8.8"}, field="ip")["geoip"] == {
        "continent_name": "North America", "country_iso_code": "US",
        "country_name": "United States", "location": {"lat": 37.751, "lon": -97.822}}


def test_geoip_city_fields_once_the_asn_data_is_loaded():
    """After an ASN lookup a process answers country lookups from the ASN data; the City
    fields still come from the City file."""
    run("geoip", {"ip": "89.160.20.129"}, field="ip", database_file="GeoLite2-ASN.mmdb")
    out = run("geoip", {"ip": "89.160.20.129"}, field="ip")
    assert out["geoip"]["city_name"] == "Stockholm"
    assert out["geoip"]["country_iso_code"] == "SE"


def test_geoip_city_database_every_property():
    out = run("geoip", {"ip": "128.101.101.101"}, field="ip",
              properties=["ip", "city_name", "region_iso_code", "region_name", "timezone",
                          "location", "continent_code", "country_iso_code"])
    assert out["geoip"] == {
        "ip": "128.101.101.101", "country_iso_code": "US", "continent_code": "NA",
        "region_iso_code": "US-MN", "region_name": "Minnesota", "city_name": "Minneapolis",
        "timezone": "America/Chicago", "location": {"lat": 44.9759, "lon": -93.2166}}
    out = run("geoip", {"ip": "175.16.199.0"}, field="ip", properties=["city_name"])
    assert out["geoip"] == {"city_name": "Changchun"}


def test_geoip_city_only_where_the_newer_country_data_agrees():
    """The 2018 City file places this range in the US; the newer country data in
    Singapore: the country wins and no city of another country is given."""
    out = run("geoip", {"ip": "168.138.182.118"}, field="ip",
              properties=["country_iso_code", "city_name", "region_name", "location"])
    assert out["geoip"] == {"country_iso_code": "SG"}


def test_geoip_asn_database_and_properties():
    out = run("geoip", {"ip": "8.8.8.8"}, field="ip", database_file="GeoLite2-ASN.mmdb")
    assert out["geoip"] == {"ip": "8.8.8.8", "organization_name": "GOOGLE",
                            "network": "8.8.8.0/24"}
    out = run("geoip", {"ip": "89.160.20.128"}, field="ip", target_field="client.geo",
              database_file="GeoLite2-Country.mmdb", properties=["ip", "continent_code"])
    assert out["client"]["geo"] == {"ip": "89.160.20.128", "continent_code": "EU"}


@pytest.mark.parametrize("ip", ["10.1.2.3", "192.168.0.1", "172.16.5.5", "127.0.0.1", "::1",
                                "169.254.10.10", "fe80::1", "100.64.0.1"])
def test_geoip_private_and_reserved_addresses_give_no_fields(ip):
    assert run("geoip", {"ip": ip}, field="ip") == {"ip": ip}
    assert run("geoip", {"ip": ip}, field="ip", database_file="GeoLite2-ASN.mmdb") == {"ip": ip}


def test_geoip_lists_first_only_and_all():
    ips = ["10.0.0.1", "8.8.8.8", "89.160.20.128"]
    first = run("geoip", {"ip": ips}, field="ip", properties=["country_iso_code"])
    assert first["geoip"] == {"country_iso_code": "US"}
    every = run("geoip", {"ip": ips}, field="ip", properties=["country_iso_code"],
                first_only=False)
    assert every["geoip"] == [None, {"country_iso_code": "US"}, {"country_iso_code": "SE"}]


def test_geoip_errors():
    assert fails("geoip", {"ip": "not-an-ip"}, field="ip") == \
        "'not-an-ip' is not an IP string literal."
    assert fails("geoip", {"ip": None}, field="ip") == \
        "field [ip] is null, cannot extract geoip information."
    assert fails("geoip", {}, field="ip") == "field [ip] not present as part of path [ip]"
    assert run("geoip", {}, field="ip", ignore_missing=True) == {}
    assert fails("geoip", {"ip": 7}, field="ip") == \
        "field [ip] should contain only string or array of strings"
    assert fails("geoip", {"ip": ["8.8.8.8", 7]}, field="ip", first_only=False) == \
        "array in field [ip] should only contain strings"
    error = config_error("geoip", field="ip", database_file="GeoLite2-Country.mmdb",
                         properties=["organization_name"])
    assert error.reason == ("[properties] illegal property value [organization_name]. valid "
                            "values are [IP, COUNTRY_ISO_CODE, COUNTRY_NAME, CONTINENT_CODE, "
                            "CONTINENT_NAME]")
    assert error.extra == {"processor_tag": "t1", "processor_type": "geoip",
                           "property_name": "properties"}
    assert config_error("geoip", field="ip", database_file="GeoIP2-Foo.mmdb").reason == \
        "[database_file] database file [GeoIP2-Foo.mmdb] doesn't exist"


def test_geoip_lookups_are_cached():
    geoip.lookup.cache_clear()
    geo = processor("geoip", field="ip")
    for _ in range(3):
        geo.execute(IngestDocument({"ip": "8.8.4.4"}))
    info = geoip.lookup.cache_info()
    assert (info.misses, info.hits, info.maxsize) == (1, 2, geoip.CACHE_SIZE)


def test_lookup_cache_sizes_are_node_settings():
    """``ingest.geoip.cache_size`` and ``ingest.user_agent.cache_size`` (ES's static node
    settings: 1000 entries, 0 for none) size the caches; a negative size is ES's error."""
    try:
        geoip.lookup.configure(2)
        user_agent.parse.configure(0)
        assert (geoip.lookup.size, user_agent.parse.size) == (2, 0)
        geo = processor("geoip", field="ip")
        found = [geo.execute(IngestDocument({"ip": ip})).fields["geoip"]["country_iso_code"]
                 for ip in ("8.8.4.4", "1.1.1.1", "9.9.9.9", "8.8.4.4")]
        assert found == ["US", found[1], found[2], "US"]
        info = geoip.lookup.cache_info()
        assert (info.currsize, info.misses, info.hits) == (2, 4, 0)  # 8.8.4.4 was evicted
        agent = processor("user_agent", field="agent")
        for _ in range(2):
            out = agent.execute(IngestDocument({"agent": CHROME_MAC})).fields
            assert out["user_agent"]["name"] == "Chrome"
        assert user_agent.parse.cache_info().currsize == 0
        for cache, name in ((geoip.lookup, "geoip"), (user_agent.parse, "user_agent")):
            with pytest.raises(ValueError, match=rf"^Failed to parse value \[-1\] for setting "
                                                 rf"\[ingest\.{name}\.cache_size\] must be "
                                                 rf">= 0$"):
                cache.configure(-1)
    finally:
        geoip.lookup.configure(geoip.CACHE_SIZE)
        user_agent.parse.configure(user_agent.CACHE_SIZE)


# ---------------------------------------------------------------------------------------------
# user_agent
# ---------------------------------------------------------------------------------------------

CHROME_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_5) AppleWebKit/537.36 (KHTML, "
              "like Gecko) Chrome/51.0.2704.103 Safari/537.36")


def test_user_agent_docs_example():
    out = run("user_agent", {"agent": CHROME_MAC}, field="agent")
    assert out["user_agent"] == {
        "name": "Chrome", "original": CHROME_MAC, "version": "51.0.2704.103",
        "os": {"name": "Mac OS X", "version": "10.10.5", "full": "Mac OS X 10.10.5"},
        "device": {"name": "Mac"},
    }


@pytest.mark.parametrize(("agent", "name", "version", "os_full", "device", "kind"), [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
     "Firefox", "120.0", "Windows 10", "Other", "Desktop"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.1 Safari/605.1.15", "Safari", "17.1", "Mac OS X 10.15.7", "Mac",
     "Desktop"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
     "like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "Mobile Safari", "17.1",
     "iOS 17.1", "iPhone", "Phone"),
    ("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/16.6 Mobile/15E148 Safari/604.1", "Mobile Safari", "16.6", "iOS 16.6", "iPad",
     "Tablet"),
    ("curl/8.4.0", "curl", "8.4.0", None, "Other", "Other"),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot",
     "2.1", None, "Spider", "Robot"),
])
def test_user_agents_with_device_type(agent, name, version, os_full, device, kind):
    out = run("user_agent", {"ua": agent}, field="ua", extract_device_type=True)["user_agent"]
    assert (out["name"], out["version"], out["device"]) == \
        (name, version, {"name": device, "type": kind})
    assert out.get("os", {}).get("full") == os_full


def test_user_agent_unknown_agent_and_properties():
    out = run("user_agent", {"ua": "something odd"}, field="ua", target_field="ua_parsed")
    assert out["ua_parsed"] == {"name": "Other", "original": "something odd",
                                "device": {"name": "Other"}}
    out = run("user_agent", {"ua": CHROME_MAC}, field="ua", properties=["name", "OS"])
    assert out["user_agent"] == {
        "name": "Chrome",
        "os": {"name": "Mac OS X", "version": "10.10.5", "full": "Mac OS X 10.10.5"}}


def test_user_agent_errors_and_cache():
    assert fails("user_agent", {"ua": None}, field="ua") == \
        "field [ua] is null, cannot parse user-agent."
    assert run("user_agent", {}, field="ua", ignore_missing=True) == {}
    assert fails("user_agent", {"ua": 5}, field="ua") == \
        "field [ua] of type [java.lang.Integer] cannot be cast to [java.lang.String]"
    assert config_error("user_agent", field="ua", properties=["invalid"]).reason == \
        ("[properties] illegal property value [invalid]. valid values are [NAME, OS, DEVICE, "
         "ORIGINAL, VERSION]")
    user_agent.parse.cache_clear()
    parser = processor("user_agent", field="ua")
    for _ in range(3):
        parser.execute(IngestDocument({"ua": CHROME_MAC}))
    info = user_agent.parse.cache_info()
    assert (info.misses, info.hits, info.maxsize) == (1, 2, user_agent.CACHE_SIZE)


# ---------------------------------------------------------------------------------------------
# community_id
# ---------------------------------------------------------------------------------------------

BASELINE = json.loads((Path(__file__).parent / "data" / "community_id_baseline.json")
                      .read_text())


def _flow_source(vector: dict[str, Any]) -> dict[str, Any]:
    source: dict[str, Any] = {"source": {"ip": vector["saddr"]},
                              "destination": {"ip": vector["daddr"]},
                              "network": {"iana_number": vector["proto"]}}
    if vector["proto"] in (1, 58):
        source["icmp"] = {"type": vector["sport"], "code": vector["dport"]}
    elif vector["sport"] is not None:
        source["source"]["port"] = vector["sport"]
        source["destination"]["port"] = vector["dport"]
    return source


@pytest.mark.parametrize(("seed", "vector"),
                         [(0, v) for v in BASELINE["seed0"]] + [(1, v) for v in BASELINE["seed1"]])
def test_community_id_matches_the_spec_baseline(seed, vector):
    out = run("community_id", _flow_source(vector), seed=seed)
    assert out["network"]["community_id"] == vector["communityid"]


def test_community_id_docs_example_with_transport_name_and_string_ports():
    source = {"source": {"ip": "66.35.250.204", "port": "80"},
              "destination": {"ip": "128.232.110.120", "port": 34855},
              "network": {"transport": "TCP"}}
    out = run("community_id", source, target_field="flow_id")
    assert out["flow_id"] == "1:LQU9qZlK+B5F3KDmev6m5PMibrg="


def test_community_id_keeps_the_direction_of_one_way_icmp():
    def flow_id(src: str, dst: str, icmp_type: int) -> str:
        source = {"source": {"ip": src}, "destination": {"ip": dst},
                  "network": {"transport": "icmp"}, "icmp": {"type": icmp_type, "code": 0}}
        return run("community_id", source)["network"]["community_id"]

    # Time exceeded (11) has no counterpart, so the spec hashes the flow as seen, even with
    # the larger address first: seed, addresses, protocol, padding, type, code.
    packed = bytes(2) + bytes([10, 0, 0, 2, 10, 0, 0, 1, 1, 0, 0, 11, 0, 0])
    spec = "1:" + base64.b64encode(hashlib.sha1(packed).digest()).decode()
    assert flow_id("10.0.0.2", "10.0.0.1", 11) == spec
    # an echo request and its reply are one flow
    assert flow_id("10.0.0.2", "10.0.0.1", 8) == flow_id("10.0.0.1", "10.0.0.2", 0)


def test_community_id_errors():
    assert run("community_id", {"source": {"ip": "10.0.0.1"}}) == {"source": {"ip": "10.0.0.1"}}
    assert fails("community_id", {"source": {"ip": "10.0.0.1"}, "destination": {"ip": "10.0.0.2"}},
                 ignore_missing=False) == "field [network] not present as part of path " \
                                          "[network.transport]"
    flow = {"source": {"ip": "10.0.0.1", "port": 70000}, "destination": {"ip": "10.0.0.2",
                                                                          "port": 80}}
    assert fails("community_id", {**flow, "network": {"transport": "tcp"}}) == \
        "invalid source port [70000]"
    assert fails("community_id", {**flow, "network": {"transport": "foo"}}) == \
        "could not convert string [foo] to transport protocol"
    assert fails("community_id", {**flow, "network": {"iana_number": 300}}) == \
        "invalid transport protocol number [300]"
    assert config_error("community_id", seed=65536).reason == \
        "[seed] must be a value between 0 and 65535"


# ---------------------------------------------------------------------------------------------
# network_direction
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "destination", "direction"), [
    ("128.232.110.120", "192.168.1.1", "inbound"),  # ES's docs example
    ("192.168.1.1", "128.232.110.120", "outbound"),
    ("10.0.0.1", "192.168.1.1", "internal"),
    ("128.232.110.120", "8.8.8.8", "external"),
    ("fd12::1", "2001:db8::1", "outbound"),
])
def test_network_direction_private(source, destination, direction):
    out = run("network_direction", {"source": {"ip": source}, "destination": {"ip": destination}},
              internal_networks=["private"])
    assert out["network"]["direction"] == direction


def test_network_direction_cidrs_named_ranges_and_field():
    flow = {"src": "127.0.0.1", "dst": "203.0.113.9", "nets": ["loopback", "203.0.113.0/24"]}
    out = run("network_direction", dict(flow), source_ip="src", destination_ip="dst",
              internal_networks_field="nets", target_field="dir")
    assert out["dir"] == "internal"
    out = run("network_direction", dict(flow), source_ip="src", destination_ip="dst",
              internal_networks=["public"])
    assert out["network"]["direction"] == "inbound"
    out = run("network_direction", {"source": {"ip": "224.0.0.251"},
                                    "destination": {"ip": "ff02::1"}},
              internal_networks=["link_local_multicast"])
    assert out["network"]["direction"] == "internal"


def test_network_direction_errors():
    assert config_error("network_direction").reason == \
        "[internal_networks] or [internal_networks_field] must be specified"
    assert config_error("network_direction", internal_networks=["private"],
                        internal_networks_field="f").reason == \
        ("[internal_networks] and [internal_networks_field] cannot both be used in the same "
         "processor")
    assert run("network_direction", {}, internal_networks=["private"]) == {}
    assert fails("network_direction", {"source": {"ip": "10.0.0.1"}},
                 internal_networks=["private"], ignore_missing=False) == \
        "field [destination] not present as part of path [destination.ip]"
    assert fails("network_direction", {"source": {"ip": "10.0.0.1"},
                                       "destination": {"ip": "nope"}},
                 internal_networks=["private"]) == "'nope' is not an IP string literal."
