"""A license's status as people see it comes from the rules validate applies; pending owners claim theirs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jobspy_web.accounts import users
from jobspy_web.db import read_session, write_session
from jobspy_web.licensing import licenses
from jobspy_web.models import License
from jobspy_web.models.base import utcnow

PASSWORD = "correct horse battery"


def _issue(**arguments) -> licenses.IssuedLicense:
    with write_session() as session:
        return licenses.issue_license(session=session, license_type="pro", **arguments)


def test_a_license_past_its_date_stands_expired_exactly_when_validate_says_expired(db):
    issued = _issue(expires_at=utcnow() + timedelta(days=1))
    with read_session() as session:
        license = session.get(License, issued.license.id)
        assert licenses.standing(license) == "active"
        later = utcnow() + timedelta(days=2)
        assert licenses.standing(license, now=later) == "expired"
        decided = licenses.decide_from_license(license, app_version="1.0.0", now=later)
        assert decided.answer.code is licenses.LicenseCode.EXPIRED


def test_suspension_and_revocation_outrank_expiry_as_in_validate(db):
    issued = _issue(expires_at=utcnow() - timedelta(days=1))
    with write_session() as session:
        licenses.suspend_license(session=session, license_id=issued.license.id)
    with read_session() as session:
        assert licenses.standing(session.get(License, issued.license.id)) == "suspended"


@pytest.mark.parametrize("days", [-5, 0, 3651, 99_999_999_999])
def test_days_outside_one_to_ten_years_are_refused_with_a_sentence(db, days):
    with pytest.raises(licenses.LicenseError, match="1 to 3650 days"):
        _issue(days=days)


def test_a_license_issued_to_an_address_is_claimed_when_its_owner_confirms_it(db):
    with write_session() as session:
        issued = licenses.issue_license(
            session=session, license_type="pro", **users.license_owner(session=session, email="New@Example.com")
        )
    with write_session() as session:
        user = users.sign_up(session=session, email="new@example.com", password=PASSWORD)
        user_id = user.id
        assert licenses.licenses_for_user(session=session, user_id=user_id) == []  # not before the address is proven
        token = users._serializer("verify").dumps({"uid": str(user.id), "email": user.email})
    with write_session() as session:
        users.verify_email(session=session, token=token)
    with read_session() as session:
        mine = licenses.licenses_for_user(session=session, user_id=user_id)
        assert [item.id for item in mine] == [issued.license.id]
