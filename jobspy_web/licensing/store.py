"""The license decision's SQL, the one copy: SQLAlchemy Core statements, prebuilt.

A miss runs them on every request, and building, caching and running ORM statements cost
several times what the database takes to answer them. Both paths use these:

  - `MISS` (PostgreSQL): one statement for the common miss, run by licensing.validate on
    the event loop. It counts the validation on the license's row (which locks it, as every
    change does) and touches the machine if it is already activated and among the first
    max_machines; licensing.licenses decides from what it returns.
  - `REPLICA_DECISION` (a PostgreSQL read replica): what MISS decides from, read-only; the
    count it would have made goes to the primary as MISS, after the answer is sent.
  - `COUNT` / `LOCK`, then `SEEN_AGAIN`, `MACHINE_COUNT` (any database): the same work in
    steps, in a session, for SQLite and for binding a new machine (licensing.licenses).

`seen_again_condition` is the rule "an activated machine among the first max_machines",
written once and used by both `MISS` and `SEEN_AGAIN`.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, exists, false, func, or_, select, true, update

from jobspy_web.models.license import License, LicenseMachine, LicenseStatus

__all__ = [
    "COUNT",
    "COUNT_ASYNCHRONOUSLY",
    "DECIDING",
    "LOCK",
    "MACHINE_COUNT",
    "MISS",
    "REPLICA_DECISION",
    "SEEN_AGAIN",
    "seen_again_condition",
]

LICENSES = cast(Table, License.__table__)  # type: ignore[attr-defined]
MACHINES = cast(Table, LicenseMachine.__table__)  # type: ignore[attr-defined]
# What licenses.decide_from_license and _bind_machine read of a license.
DECIDING = [LICENSES.c[name] for name in ("id", "status", "license_type", "features", "max_machines", "expires_at")]

# Count the validation: validation_count + 1 (exact under concurrency) and the row's lock.
COUNT = (
    update(LICENSES)
    .where(LICENSES.c.license_key_hash == bindparam("key_hash"))
    .values(
        validation_count=LICENSES.c.validation_count + 1,
        last_validated_at=bindparam("validated_at"),
        updated_at=LICENSES.c.updated_at,  # a validation is not an edit
    )
    .returning(*DECIDING)
)
# The same, committed without waiting for its WAL to reach the disk (PostgreSQL's
# synchronous_commit, set for this transaction only, inside the statement: no extra round
# trip). A crash in the next fraction of a second may lose the last few counts and machine
# activations (such a machine activates again on its next validate), never a change to a
# license: those are other transactions, committed as usual.
COUNT_ASYNCHRONOUSLY = COUNT.where(func.set_config("synchronous_commit", "off", True) == "off")
# The row lock alone, for a validation already counted.
LOCK = select(*DECIDING).where(LICENSES.c.license_key_hash == bindparam("key_hash")).with_for_update()

_EARLIER = MACHINES.alias("earlier")


def seen_again_condition(max_machines: Any) -> ColumnElement[bool]:
    """The machine row is among the first `max_machines` of its license to have activated."""
    earlier = (
        select(func.count())
        .where(
            _EARLIER.c.license_id == MACHINES.c.license_id,
            or_(
                _EARLIER.c.first_seen_at < MACHINES.c.first_seen_at,
                and_(_EARLIER.c.first_seen_at == MACHINES.c.first_seen_at, _EARLIER.c.id < MACHINES.c.id),
            ),
        )
        .scalar_subquery()
    )
    return earlier < max_machines


_TOUCHED: dict[str, Any] = {
    "last_seen_at": bindparam("seen_at"),
    "app_version": bindparam("version"),
    "name": func.coalesce(bindparam("machine_name"), MACHINES.c.name),
}

# A machine already activated is seen again: one statement, the common case of a miss.
SEEN_AGAIN = (
    update(MACHINES)
    .where(
        MACHINES.c.license_id == bindparam("for_license"),
        MACHINES.c.fingerprint == bindparam("for_fingerprint"),
        seen_again_condition(bindparam("max_machines")),
    )
    .values(_TOUCHED)
    .returning(MACHINES.c.id)
)
MACHINE_COUNT = select(
    func.count(),
    func.count().filter(MACHINES.c.fingerprint == bindparam("for_fingerprint")),
).where(MACHINES.c.license_id == bindparam("for_license"))


def _miss() -> Any:
    # COUNT and SEEN_AGAIN in one statement: the machine is touched only when steps 1-5
    # pass (`supported`: the app version is, decided in Python), as _bind_machine would.
    # Its connections run with synchronous_commit off (licensing.validate).
    license = COUNT.cte("license")
    machine = (
        update(MACHINES)
        .where(
            MACHINES.c.license_id == license.c.id,
            MACHINES.c.fingerprint == bindparam("for_fingerprint"),
            bindparam("supported") == true(),
            license.c.status == LicenseStatus.ACTIVE.value,
            or_(license.c.expires_at.is_(None), license.c.expires_at > bindparam("validated_at")),
            seen_again_condition(license.c.max_machines),
        )
        .values(last_seen_at=bindparam("validated_at"), app_version=bindparam("version"))
        .returning(MACHINES.c.id)
        .cte("machine")
    )
    decided = [license.c[name] for name in ("status", "license_type", "features", "max_machines", "expires_at")]
    return select(*decided, exists(select(machine.c.id)).label("seen_again")).select_from(license)


MISS = _miss()


def _replica_decision() -> Any:
    # What MISS decides from, read-only, for a read replica: the license's facts, whether the
    # machine is already among its first max_machines, and whether the replica has replayed
    # all the WAL it received (only then is an answer read here cached: licensing.validate).
    seen_again = exists(
        select(MACHINES.c.id).where(
            MACHINES.c.license_id == LICENSES.c.id,
            MACHINES.c.fingerprint == bindparam("for_fingerprint"),
            seen_again_condition(LICENSES.c.max_machines),
        )
    )
    caught_up = func.coalesce(func.pg_last_wal_receive_lsn() == func.pg_last_wal_replay_lsn(), false())
    decided = [LICENSES.c[name] for name in ("status", "license_type", "features", "max_machines", "expires_at")]
    return select(*decided, seen_again.label("seen_again"), caught_up.label("caught_up")).where(
        LICENSES.c.license_key_hash == bindparam("key_hash")
    )


REPLICA_DECISION = _replica_decision()
