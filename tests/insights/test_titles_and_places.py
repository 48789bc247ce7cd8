"""Titles normalised and matched to occupations; places resolved to state and metro."""

import pytest

from jobspy_web.insights.places import metro_index_from_areas, resolve_place
from jobspy_web.insights.titles import match_occupation, normalise_title


@pytest.mark.parametrize(
    ("posted", "key", "seniority"),
    [
        ("Sr. Front-End Dev (Remote)", "frontend developer", "senior"),
        ("Senior Software Engineer, Payments", "software engineer", "senior"),
        ("Staff Backend Engineer - Platform", "backend engineer", "lead"),
        ("Data Scientist II", "data scientist", "mid"),
        ("Jr. QA Engineer", "qa engineer", "junior"),
        ("Registered Nurse (RN) - ICU Nights", "registered nurse", "unspecified"),
        ("SWE Intern", "software engineer", "intern"),
    ],
)
def test_titles_lose_case_seniority_qualifiers_and_synonyms(posted, key, seniority):
    assert normalise_title(posted) == (normalise_title(posted).__class__(key, seniority))


def test_an_alias_matches_its_occupation_exactly_and_a_near_title_with_a_lower_score():
    exact = match_occupation(normalise_title("Senior Java Developer").key)
    assert exact is not None and exact.soc_code == "15-1252" and exact.score == 1.0
    near = match_occupation(normalise_title("Backend Python Engineer").key)
    assert near is not None and near.soc_code == "15-1252" and 0.72 <= near.score < 1.0


def test_a_title_we_cannot_place_matches_no_occupation():
    assert match_occupation(normalise_title("Chief Happiness Officer").key) is None
    assert match_occupation(normalise_title("Engineer").key) is None  # one generic word says too little


METROS = metro_index_from_areas([("0012420", "Austin-Round Rock-San Marcos, TX"), ("0035620", "New York-Newark-Jersey City, NY-NJ")])


@pytest.mark.parametrize(
    ("text", "level", "label", "state", "metro"),
    [
        ("Austin, TX", "metro", "Austin-Round Rock-San Marcos, TX", "TX", "0012420"),
        ("Round Rock, TX, US", "metro", "Austin-Round Rock-San Marcos, TX", "TX", "0012420"),
        ("Newark, NJ", "metro", "New York-Newark-Jersey City, NY-NJ", "NJ", "0035620"),
        ("Dallas, TX", "state", "Texas", "TX", None),
        ("California", "state", "California", "CA", None),
        ("TX", "state", "Texas", "TX", None),
        ("United States", "country", "US", None, None),
        ("Remote", "remote", "Remote", None, None),
        ("London, UK", "city", "London, GB", None, None),
        ("Atlantis", "unknown", "Atlantis", None, None),
    ],
)
def test_places_resolve_as_precisely_as_the_areas_allow(text, level, label, state, metro):
    place = resolve_place(text, metros=METROS)
    assert (place.level, place.label, place.state_abbr, place.metro_code) == (level, label, state, metro)


def test_without_the_oews_areas_a_us_city_resolves_to_its_state():
    assert resolve_place("Austin, TX").level == "state"
