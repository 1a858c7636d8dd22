"""Month, day, am/pm and era names per locale, for the java.time text letters (``MMM``,
``EEEE``, ``a``, ``G``).

ES resolves a locale string with its ``LocaleUtils.parse`` (``de``, ``pt-BR``, ``fr_FR``,
``ROOT``) and java.time takes the names from CLDR. ROOT, ES's default, has the English names,
built in here; every other locale's come from the CLDR data that babel ships, loaded on first
use and cached. A known language whose country CLDR has no data for uses the language's names,
and a language CLDR has no names for uses ROOT's, as Java falls back along its locale chain.
Java's names carry CLDR's punctuation: German ``MMM`` is ``Okt.``, French ``janv.``; the
stand-alone letters (``LLL``, ``ccc``) give CLDR's stand-alone forms (German ``Okt``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

ROOT = ""
"""The key of ``Locale.ROOT``, the date processor's default."""


@dataclass(frozen=True)
class TextNames:
    """One locale's names; months January first, days Monday first (java.time's order)."""

    months_short: tuple[str, ...]
    months_full: tuple[str, ...]
    months_short_standalone: tuple[str, ...]
    months_full_standalone: tuple[str, ...]
    days_short: tuple[str, ...]
    days_full: tuple[str, ...]
    days_short_standalone: tuple[str, ...]
    days_full_standalone: tuple[str, ...]
    ampm: tuple[str, str]
    eras_short: tuple[str, str]
    eras_full: tuple[str, str]


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ENGLISH = TextNames(
    months_short=tuple(m[:3] for m in _MONTHS), months_full=_MONTHS,
    months_short_standalone=tuple(m[:3] for m in _MONTHS), months_full_standalone=_MONTHS,
    days_short=tuple(d[:3] for d in _DAYS), days_full=_DAYS,
    days_short_standalone=tuple(d[:3] for d in _DAYS), days_full_standalone=_DAYS,
    ampm=("AM", "PM"), eras_short=("BC", "AD"), eras_full=("Before Christ", "Anno Domini"),
)

#: Two-letter CLDR territories that are no ISO 3166 country (Java refuses them).
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "XK", "ZZ"})


def parse_locale(text: str) -> str:
    """ES's ``LocaleUtils.parse``: ``lang``, ``lang-COUNTRY`` or ``lang-COUNTRY-variant``
    (``_`` also separates, consistently); the key ``lang[_COUNTRY[_variant]]`` or ROOT.
    ValueError with ES's message for too many parts or an unknown language or country."""
    dash, underscore = text.find("-"), text.find("_")
    separator = "_" if underscore >= 0 and (dash < 0 or underscore < dash) else "-"
    parts = text.split(separator)
    if len(parts) > 3:
        raise ValueError(f"Locales can have at most 3 parts but got {len(parts)}: "
                         f"[{', '.join(parts)}]")
    language = parts[0].lower()
    if len(parts) == 1 and language in ("root", ""):
        return ROOT
    country = parts[1].upper() if len(parts) > 1 else ""
    if language not in ("", "en") or country:
        languages, countries = _iso_codes()
        if len(language) not in (0, 3) and language not in languages:
            raise ValueError(f"Unknown language: {parts[0]}")
        if country and country not in countries:
            raise ValueError(f"Unknown country: {parts[1]}")
    return "_".join([language, country, *parts[2:]]).rstrip("_")


@functools.cache
def _iso_codes() -> tuple[frozenset[str], frozenset[str]]:
    """The two-letter language and country codes Java knows (ISO 639-1, ISO 3166-1)."""
    from babel import Locale

    english = Locale("en")
    return (frozenset(code for code in english.languages if len(code) == 2),
            frozenset(code for code in english.territories
                      if len(code) == 2 and code not in _NOT_COUNTRIES))


def language_tag_key(tag: str) -> str:
    """The key of a BCP 47 tag (``Locale.forLanguageTag``, which ``date_index_name`` uses):
    its language and region; nothing is validated."""
    parts = tag.split("-")
    region = next((p.upper() for p in parts[1:]
                   if (len(p) == 2 and p.isalpha()) or (len(p) == 3 and p.isdigit())), "")
    return "_".join(filter(None, [parts[0].lower(), region]))


@functools.lru_cache(maxsize=64)
def text_names(key: str) -> TextNames:
    """The names of the locale ``key`` (from :func:`parse_locale`), CLDR's through babel."""
    language, _, rest = key.partition("_")
    country = rest.partition("_")[0]
    if language in ("", "en") and country in ("", "US"):
        return ENGLISH
    from babel import Locale, UnknownLocaleError

    for candidate in ((language, country or None), (language, None)):
        try:
            locale = Locale(*candidate)
        except (UnknownLocaleError, ValueError):
            continue
        return _from_cldr(locale)
    return ENGLISH


def _from_cldr(locale: object) -> TextNames:
    from babel.dates import get_day_names, get_era_names, get_month_names, get_period_names

    def months(width: str, context: str) -> tuple[str, ...]:
        names = get_month_names(width, context, locale)
        return tuple(names[m] for m in range(1, 13))

    def days(width: str, context: str) -> tuple[str, ...]:
        names = get_day_names(width, context, locale)  # babel counts from Monday = 0
        return tuple(names[d] for d in range(7))

    periods = get_period_names("abbreviated", "format", locale)
    short_eras, full_eras = get_era_names("abbreviated", locale), get_era_names("wide", locale)
    return TextNames(
        months_short=months("abbreviated", "format"), months_full=months("wide", "format"),
        months_short_standalone=months("abbreviated", "stand-alone"),
        months_full_standalone=months("wide", "stand-alone"),
        days_short=days("abbreviated", "format"), days_full=days("wide", "format"),
        days_short_standalone=days("abbreviated", "stand-alone"),
        days_full_standalone=days("wide", "stand-alone"),
        ampm=(periods["am"], periods["pm"]),
        eras_short=(short_eras[0], short_eras[1]), eras_full=(full_eras[0], full_eras[1]),
    )
