"""A search as a queue job: started by name, its events heard through the broadcast (in-process here)."""

from redis_helpers import redis_test_url
from sqlmodel import select

from jobspy_web.db import read_session, write_session
from jobspy_web.infra import queue
from jobspy_web.models import Search, SearchStatus, SeenJob
from jobspy_web.search import runner, tasks
from jobspy_web.search.params import parse_search_params
from jobspy_web.settings import reset_process_state
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


async def test_a_queue_worker_killed_mid_search_leaves_it_interrupted_with_its_partial_results(db, replay, monkeypatch, data_dir):
    import os
    import signal
    import subprocess
    import sys

    import redis

    from jobspy_web.search import jobs
    from tests.replay import SiteBehaviour

    redis_url = redis_test_url(2)
    redis.Redis.from_url(redis_url).flushdb()
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("SEARCH_HEARTBEAT_TIMEOUT_SECONDS", "3")
    reset_process_state()
    replay.scenario["linkedin"] = SiteBehaviour(delay=60)  # still running when the worker dies
    owner = make_user()
    params = parse_search_params({"search_term": "python developer", "site_name": ["indeed", "linkedin"], "results_wanted": 5})
    with write_session() as session:
        search_id = runner.create_search(session=session, params=params, owner_id=owner).id
    worker = subprocess.Popen([sys.executable, "-m", "jobspy_web.cli", "worker"], env={**os.environ}, start_new_session=True)
    producer = queue.SaqQueue(redis_url)
    queue.use_queue(producer)
    try:
        events = []
        async for event in tasks.follow_search(search_id, recheck_s=1.0):
            events.append(event)
            if event.site == "indeed" and event.outcome is not None and event.outcome.state.value == "done":
                os.killpg(worker.pid, signal.SIGKILL)  # the whole worker, its site processes too
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        await producer.close()
        redis.Redis.from_url(redis_url).flushdb()

    assert events[-1].status is SearchStatus.INTERRUPTED
    with read_session() as session:
        found = session.get(Search, search_id)
        assert found.site_outcomes["indeed"]["state"] == "done" and found.site_outcomes["linkedin"]["state"] == "interrupted"
        assert len(jobs.search_rows(session=session, search_id=search_id)) == 5  # Indeed's jobs stay
