"""jobs: company_city_key (fuzzy dedupe candidates); dedupe keys recomputed

Dedupe keys now see "Sr." as "Senior", drop legal suffixes ("Initech, Inc." is
"Initech"), fold accents and keep "C++"/"C#" apart. Stored jobs get the keys the app
computes (services.jobs.dedupe_key) and their company_city_key, so the next search finds
them. Two stored jobs that now share a key stay two: the one holding it already, else
the older, has it; the other keeps its old key (it still lists under its old searches,
new rows join the first). Downgrade gives back the old keys the same way.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:00:00.000000

"""

import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# The app's keys as of this revision. If they change again, a new revision recomputes them.
from jobspy_web.search.jobs import company_city_key, dedupe_key

# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KeyOf = Callable[[dict[str, Any]], str]

jobs = sa.table(
    'jobs',
    sa.column('id', sa.Uuid()),
    sa.column('dedupe_key', sa.String()),
    sa.column('company_city_key', sa.String()),
    sa.column('title', sa.Text()),
    sa.column('company', sa.Text()),
    sa.column('location', sa.Text()),
    sa.column('job_url', sa.Text()),
    sa.column('first_seen_at', sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('company_city_key', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_jobs_company_city_key'), ['company_city_key'], unique=False)
    if op.get_context().as_sql:  # `upgrade --sql` can't read the rows to recompute
        return
    rows = _jobs(op.get_bind())
    _rekey(op.get_bind(), rows, current=old_dedupe_key, target=dedupe_key)
    groups = [{'row_id': row['id'], 'group': company_city_key(row)} for row in rows]
    _update(op.get_bind(), 'company_city_key', 'group', [change for change in groups if change['group']])


def downgrade() -> None:
    if not op.get_context().as_sql:
        _rekey(op.get_bind(), _jobs(op.get_bind()), current=dedupe_key, target=old_dedupe_key)
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_company_city_key'))
        batch_op.drop_column('company_city_key')


# --- Revision 0001's keys, frozen here -------------------------------------------------

_OLD_NOT_WORD = re.compile(r'[^a-z0-9]+')


def _old_normal(text: str | None) -> str:
    return _OLD_NOT_WORD.sub(' ', (text or '').lower()).strip()


def old_dedupe_key(row: dict[str, Any]) -> str:
    title, company = _old_normal(row.get('title')), _old_normal(row.get('company'))
    if title and company:
        city = _old_normal((row.get('location') or '').split(',')[0])
        return _digest(f'{title}|{company}|{city}')
    return _digest(f"url|{row.get('job_url')}")


def _digest(identity: str) -> str:
    return hashlib.sha256(identity.encode()).hexdigest()


# --- Recomputing ------------------------------------------------------------------------


def _jobs(connection: sa.Connection) -> list[dict[str, Any]]:
    """Every job, oldest first: on a clash the older job gets the new key."""
    query = sa.select(jobs.c.id, jobs.c.dedupe_key, jobs.c.title, jobs.c.company, jobs.c.location, jobs.c.job_url)
    return [dict(row._mapping) for row in connection.execute(query.order_by(jobs.c.first_seen_at, jobs.c.id))]


def _rekey(connection: sa.Connection, rows: list[dict[str, Any]], *, current: KeyOf, target: KeyOf) -> None:
    """Give each job whose key `current` computed the key `target` computes, keys unique.

    Keys `current` didn't compute are left alone: a second opening's URL key (the same
    under both), or a job whose company a later board filled in.
    """
    movable = [row for row in rows if row['dedupe_key'] == current(row) != target(row)]
    moving_ids = {row['id'] for row in movable}
    taken = {row['dedupe_key'] for row in rows if row['id'] not in moving_ids}
    changes = []
    for row in movable:
        wanted = target(row)
        # A clash keeps the job's own key; should even that be taken, one made from its id.
        key = next(k for k in (wanted, row['dedupe_key'], _digest(f"job|{row['id']}")) if k not in taken)
        taken.add(key)
        if key != row['dedupe_key']:
            changes.append({'row_id': row['id'], 'key': key, 'parked': f"moving-{row['id'].hex}"})
    # Two steps: a job may take the key another moving job gives up, and the unique index
    # is checked row by row.
    _update(connection, 'dedupe_key', 'parked', changes)
    _update(connection, 'dedupe_key', 'key', changes)


def _update(connection: sa.Connection, column: str, value: str, changes: list[dict[str, Any]]) -> None:
    if changes:
        statement = jobs.update().where(jobs.c.id == sa.bindparam('row_id')).values({column: sa.bindparam(value)})
        connection.execute(statement, changes)
