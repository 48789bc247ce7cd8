"""Saving searches: every option kept, the tier's limit with a clear message, schedules for Pro."""

import pytest

from jobspy_web.db import read_session, write_session
from jobspy_web.models import Role, ScheduleKind
from jobspy_web.saved_searches import store
from jobspy_web.search.params import SearchParamsError
from tests.saved_searches.factories import make_user, save


def test_a_saved_search_keeps_several_terms_locations_and_every_option(db):
    owner = make_user()
    saved = save(
        owner,
        search_terms=["python developer", "data engineer", " "],
        locations=["Austin, TX", "Remote"],
        params={"site_name": ["indeed", "linkedin"], "results_wanted": 30, "hours_old": 24, "is_remote": True},
        schedule="daily",
        hour=7,
        timezone="America/Chicago",
    )
    with read_session() as session:
        [found] = store.list_saved_searches(session=session, owner_id=owner)
    assert found.id == saved.id
    assert found.search_terms == ["python developer", "data engineer"]
    assert found.locations == ["Austin, TX", "Remote"]
    assert found.params["hours_old"] == 24 and found.params["site_name"] == ["indeed", "linkedin"]
    assert found.schedule is ScheduleKind.DAILY and found.next_run_at is not None


def test_free_tier_stops_at_three_saved_searches_with_a_sentence(db):
    owner = make_user(role=Role.FREE)
    for index in range(3):
        save(owner, tier="free", name=f"search {index}")
    with pytest.raises(store.SavedSearchError) as refused:
        save(owner, tier="free", name="one too many")
    assert refused.value.code == "SAVED_SEARCH_LIMIT" and refused.value.status == 403
    assert "allows 3 saved searches" in refused.value.message and "Pro allows 50" in refused.value.message
    with read_session() as session:
        assert store.count_saved(session=session, owner_id=owner) == 3


def test_scheduled_runs_are_a_pro_feature(db):
    owner = make_user(role=Role.FREE)
    with pytest.raises(store.SavedSearchError) as refused:
        save(owner, tier="free", schedule="hourly")
    assert refused.value.code == "SCHEDULE_NEEDS_PRO"
    assert save(owner, tier="free").schedule is ScheduleKind.NONE  # unscheduled is fine


def test_bad_input_names_the_field(db):
    with pytest.raises(SearchParamsError) as refused:
        store.parse_saved_search({"name": "x", "search_terms": ["python"], "timezone": "Mars/Olympus"})
    assert "time zone" in refused.value.problems["timezone"]
    with pytest.raises(SearchParamsError) as refused:
        store.parse_saved_search({"name": "x", "search_terms": ["python"], "params": {"results_wanted": 5000}})
    assert "results_wanted" in refused.value.problems
    with pytest.raises(SearchParamsError):
        store.parse_saved_search({"name": "x", "search_terms": ["python"], "apprise_urls": ["nonsense"]})


def test_pause_clears_the_next_slot_and_resume_sets_it(db):
    owner = make_user()
    saved = save(owner, schedule="hourly")
    with write_session() as session:
        paused = store.set_paused(session=session, owner_id=owner, saved_search_id=saved.id, paused=True)
        assert paused.next_run_at is None
        resumed = store.set_paused(session=session, owner_id=owner, saved_search_id=saved.id, paused=False)
        assert resumed.next_run_at is not None


def test_someone_elses_saved_search_is_not_found(db):
    saved = save(make_user())
    with write_session() as session, pytest.raises(store.SavedSearchError) as refused:
        store.get_saved_search(session=session, owner_id=make_user("eve@example.com"), saved_search_id=saved.id)
    assert refused.value.status == 404
