"""Operations fixtures: a real PostgreSQL primary with a streaming replica (pg_cluster)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from db_helpers import upgrade_to_head
from pg_cluster import Cluster


@pytest.fixture(scope="module")
def replica_cluster() -> Iterator[Cluster]:
    """A migrated primary on a spare port and its streaming replica (pg_basebackup -R),
    shared by a module's tests; both removed at its end."""
    cluster = Cluster()
    try:
        cluster.start()
        upgrade_to_head(cluster.primary_url)
        cluster.wait_until_replayed()
        yield cluster
    finally:
        cluster.stop()
