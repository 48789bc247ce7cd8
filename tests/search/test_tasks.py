"""A search as a queue job: started by name, its events heard through the broadcast (in-process here)."""

from sqlmodel import select

from jobspy_web.db import read_session, write_session
from jobspy_web.infra import queue
from jobspy_web.models import Search, SearchStatus, SeenJob
from jobspy_web.search import runner, tasks
from jobspy_web.search.params import parse_search_params
from tests.saved_searches.factories import make_user


async def test_following_a_search_starts_it_on_the_queue_and_hears_it_to_the_end(db, replay):
    owner = make_user()
    params = parse_search_params({"search_term": "python developer", "site_name": ["indeed"], "results_wanted": 5})
    with write_session() as session:
        search_id = runner.create_search(session=session, params=params, owner_id=owner).id
    inbox = queue.InProcessQueue()
    queue.use_queue(inbox)

    events = [event async for event in tasks.follow_search(search_id)]
    await inbox.drain()

    assert events[-1].status is SearchStatus.COMPLETED
    assert any(event.site == "indeed" and event.jobs_added for event in events)
    with read_session() as session:
        assert session.get(Search, search_id).job_count == 5
        # What the owner was shown counts for only-new (both identities of each job).
        assert len(session.exec(select(SeenJob).where(SeenJob.user_id == owner)).all()) >= 5
