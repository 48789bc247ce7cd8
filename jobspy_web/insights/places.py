"""Places: a posting's or a query's location text resolved to country, US state and metro.

"Austin, TX", "Austin, TX, US", "Texas", "Remote", "London, UK". Metro areas come from the
imported OEWS areas ("Austin-Round Rock-San Marcos, TX"): each city named in an area's
name finds that area; without the import, US places resolve to their state at most.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["STATES", "Place", "metro_index_from_areas", "resolve_place"]

# USPS code → (name, FIPS code), the 50 states, DC and the territories OEWS covers.
STATES: dict[str, tuple[str, str]] = {
    "AL": ("Alabama", "01"),
    "AK": ("Alaska", "02"),
    "AZ": ("Arizona", "04"),
    "AR": ("Arkansas", "05"),
    "CA": ("California", "06"),
    "CO": ("Colorado", "08"),
    "CT": ("Connecticut", "09"),
    "DE": ("Delaware", "10"),
    "DC": ("District of Columbia", "11"),
    "FL": ("Florida", "12"),
    "GA": ("Georgia", "13"),
    "HI": ("Hawaii", "15"),
    "ID": ("Idaho", "16"),
    "IL": ("Illinois", "17"),
    "IN": ("Indiana", "18"),
    "IA": ("Iowa", "19"),
    "KS": ("Kansas", "20"),
    "KY": ("Kentucky", "21"),
    "LA": ("Louisiana", "22"),
    "ME": ("Maine", "23"),
    "MD": ("Maryland", "24"),
    "MA": ("Massachusetts", "25"),
    "MI": ("Michigan", "26"),
    "MN": ("Minnesota", "27"),
    "MS": ("Mississippi", "28"),
    "MO": ("Missouri", "29"),
    "MT": ("Montana", "30"),
    "NE": ("Nebraska", "31"),
    "NV": ("Nevada", "32"),
    "NH": ("New Hampshire", "33"),
    "NJ": ("New Jersey", "34"),
    "NM": ("New Mexico", "35"),
    "NY": ("New York", "36"),
    "NC": ("North Carolina", "37"),
    "ND": ("North Dakota", "38"),
    "OH": ("Ohio", "39"),
    "OK": ("Oklahoma", "40"),
    "OR": ("Oregon", "41"),
    "PA": ("Pennsylvania", "42"),
    "RI": ("Rhode Island", "44"),
    "SC": ("South Carolina", "45"),
    "SD": ("South Dakota", "46"),
    "TN": ("Tennessee", "47"),
    "TX": ("Texas", "48"),
    "UT": ("Utah", "49"),
    "VT": ("Vermont", "50"),
    "VA": ("Virginia", "51"),
    "WA": ("Washington", "53"),
    "WV": ("West Virginia", "54"),
    "WI": ("Wisconsin", "55"),
    "WY": ("Wyoming", "56"),
    "GU": ("Guam", "66"),
    "PR": ("Puerto Rico", "72"),
    "VI": ("Virgin Islands", "78"),
}
_STATE_BY_NAME = {name.lower(): code for code, (name, _fips) in STATES.items()}
_COUNTRIES = {
    "us": "US",
    "usa": "US",
    "united states": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "gb": "GB",
    "united kingdom": "GB",
    "england": "GB",
    "scotland": "GB",
    "great britain": "GB",
    "canada": "CA",
    "india": "IN",
    "in": "IN",
    "germany": "DE",
    "de": "DE",
    "deutschland": "DE",
    "france": "FR",
    "fr": "FR",
    "australia": "AU",
    "au": "AU",
    "netherlands": "NL",
    "nl": "NL",
    "ireland": "IE",
    "ie": "IE",
    "spain": "ES",
    "es": "ES",
    "singapore": "SG",
    "sg": "SG",
    "mexico": "MX",
    "mx": "MX",
    "brazil": "BR",
    "br": "BR",
    "bangladesh": "BD",
    "bd": "BD",
    "new zealand": "NZ",
    "nz": "NZ",
    "switzerland": "CH",
    "ch": "CH",
    "poland": "PL",
    "pl": "PL",
    "italy": "IT",
    "it": "IT",
}
_REMOTE = {"remote", "anywhere", "work from home", "wfh"}


@dataclass(frozen=True)
class Place:
    level: str  # metro, state, country, remote, unknown, any
    label: str  # what the answer calls it: "Austin-Round Rock-San Marcos, TX", "Texas", "US"
    country: str | None = None  # ISO 3166 alpha-2
    state_abbr: str | None = None
    metro_code: str | None = None  # the OEWS area code of the metro area

    @property
    def is_remote(self) -> bool:
        return self.level == "remote"


ANYWHERE = Place("any", "Anywhere")


def metro_index_from_areas(areas: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """(city, state) → (area code, area name) from OEWS metro areas given as (code, name):
    "Austin-Round Rock-San Marcos, TX" lists austin, round rock and san marcos in TX;
    "New York-Newark-Jersey City, NY-NJ" lists each city in each of its states."""
    index: dict[tuple[str, str], tuple[str, str]] = {}
    for code, name in areas:
        cities, _, states = name.rpartition(", ")
        for city in cities.split("-"):
            for state in states.split("-"):
                index.setdefault((city.strip().lower(), state.strip().upper()), (code, name))
    return index


def resolve_place(text: str | None, *, metros: Mapping[tuple[str, str], tuple[str, str]] | None = None) -> Place:
    """Where `text` is, as precisely as the data allows (see the module docstring)."""
    cleaned = re.sub(r"\s+", " ", (text or "").strip())
    if not cleaned:
        return ANYWHERE
    if cleaned.lower() in _REMOTE or cleaned.lower().startswith("remote"):
        return Place("remote", "Remote")
    parts = [part.strip() for part in cleaned.split(",") if part.strip()]
    country = _COUNTRIES.get(parts[-1].lower()) if len(parts) > 1 or parts[-1].lower() not in _STATE_BY_NAME else None
    if country is not None:
        parts = parts[:-1]
    if country not in (None, "US"):
        label = ", ".join([*parts[:1], country])
        return Place("country" if not parts else "city", label, country=country)
    if not parts:
        return Place("country", country or "US", country=country or "US")
    state = _state_of(parts[-1]) if len(parts) > 1 or country == "US" or _state_of(parts[-1]) else None
    if state is None:
        if len(parts) == 1 and (found := _state_of(parts[0])):
            return Place("state", STATES[found][0], country="US", state_abbr=found)
        return Place("unknown", cleaned[:200], country=country)
    city = parts[0].lower() if len(parts) > 1 else None
    if city and metros and (metro := metros.get((city, state))):
        return Place("metro", metro[1][:200], country="US", state_abbr=state, metro_code=metro[0])
    return Place("state", STATES[state][0], country="US", state_abbr=state)


def _state_of(text: str) -> str | None:
    upper = text.strip().upper()
    if upper in STATES:
        return upper
    return _STATE_BY_NAME.get(text.strip().lower())
