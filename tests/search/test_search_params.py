import pytest

from jobspy_web.search.params import SITES, SearchParamsError, parse_search_params


def problems(raw: dict) -> dict[str, str]:
    with pytest.raises(SearchParamsError) as caught:
        parse_search_params(raw)
    return caught.value.problems


def test_defaults_search_the_four_main_boards_for_twenty_results():
    params = parse_search_params({"search_term": "  python developer "})
    assert params.search_term == "python developer"
    assert params.site_name == ["indeed", "linkedin", "zip_recruiter", "glassdoor"]
    assert params.results_wanted == 20


def test_all_eight_sites_are_accepted():
    params = parse_search_params({"search_term": "nurse", "site_name": list(SITES)})
    assert len(params.site_name) == 8


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({"search_term": ""}, "search", "search term"),
        ({"search_term": "x", "site_name": ["monster"]}, "site_name", "unknown site monster"),
        ({"search_term": "x", "site_name": []}, "site_name", "at least one site"),
        ({"search_term": "x", "country_indeed": "atlantis"}, "country_indeed", "unknown country"),
        ({"search_term": "x", "results_wanted": 0}, "results_wanted", "at least 1"),
        ({"search_term": "x", "results_wanted": 5000}, "results_wanted", "at most 1000"),
        ({"search_term": "x" * 201}, "search_term", "200 characters"),
        ({"search_term": "x", "distance": "far"}, "distance", "Distance (miles): enter a whole number."),
        ({"search_term": "x", "offset": "ten"}, "offset", "Skip first results: enter a whole number."),
        ({"search_term": "x", "linkedin_company_ids": ["acme"]}, "linkedin_company_ids", "LinkedIn company ids: enter a whole number."),
        ({"search_term": "x", "job_type": "gig"}, "job_type", "job type"),
        ({"search_term": "x", "surprise": 1}, "surprise", "unknown option"),
    ],
)
def test_bad_input_names_the_field_in_a_sentence(raw, field, words):
    assert words.lower() in problems(raw)[field].lower()


def test_indeed_cannot_combine_easy_apply_with_other_filters():
    message = problems({"search_term": "x", "site_name": ["indeed"], "easy_apply": True, "hours_old": 24})
    assert "Indeed can't combine easy apply" in message["search"]
    # Without Indeed the same options are fine for, say, Glassdoor.
    parse_search_params({"search_term": "x", "site_name": ["glassdoor"], "easy_apply": True, "hours_old": 24})


def test_linkedin_cannot_combine_easy_apply_with_hours_old():
    message = problems({"search_term": "x", "site_name": ["linkedin"], "easy_apply": True, "hours_old": 3})
    assert "LinkedIn can't combine" in message["search"]


def test_warns_when_indeed_will_drop_remote_because_hours_old_is_set():
    params = parse_search_params({"search_term": "x", "site_name": ["indeed"], "is_remote": True, "hours_old": 24})
    assert any("Indeed ignores the remote" in text for text in params.warnings())
    quiet = parse_search_params({"search_term": "x", "site_name": ["indeed"], "is_remote": True})
    assert quiet.warnings() == []


def test_warns_when_a_site_does_not_serve_the_country():
    params = parse_search_params({"search_term": "x", "site_name": ["glassdoor", "zip_recruiter"], "country_indeed": "Chile"})
    warnings = " ".join(params.warnings())
    assert "Glassdoor doesn't serve Chile" in warnings
    assert "ZipRecruiter only lists jobs in the USA and Canada" in warnings


def test_scrape_kwargs_target_one_site_and_leave_salary_to_us():
    params = parse_search_params({"search_term": "x", "enforce_annual_salary": True, "linkedin_fetch_description": True})
    kwargs = params.scrape_kwargs("linkedin")
    assert kwargs["site_name"] == ["linkedin"]
    assert kwargs["fetch_description"] is True
    assert "enforce_annual_salary" not in kwargs
    assert kwargs["job_type"] is None


@pytest.mark.parametrize("field", ["search_term", "google_search_term", "location"])
@pytest.mark.parametrize("bad", ["python\x00developer", "caf\ud800e"])
def test_a_nul_or_lone_surrogate_is_refused_with_a_sentence_naming_the_field(field, bad):
    with pytest.raises(SearchParamsError) as refused:
        parse_search_params({"search_term": "python", field: bad})
    assert refused.value.problems == {field: "This contains characters that can't be used in a search; retype it."}


def test_several_problems_read_as_sentences_without_a_stray_semicolon():
    with pytest.raises(SearchParamsError) as caught:
        parse_search_params({"search_term": "x", "distance": "far", "offset": "ten"})
    assert caught.value.message == "Distance (miles): enter a whole number. Skip first results: enter a whole number."
