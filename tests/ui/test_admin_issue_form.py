"""The admin's license form is checked on the server, each refusal named after its field."""

from __future__ import annotations

import pytest

from jobspy_web.ui.state.admin import read_issue_form


@pytest.mark.parametrize("days", ["-5", "0", "3651", "99999999999", "1e3", "٣"])
def test_days_outside_one_to_3650_are_refused_next_to_the_days_field(days):
    errors, _ = read_issue_form({"email": "", "license_type": "pro", "days": days})
    assert list(errors) == ["days"] and errors["days"].startswith("Days: enter a whole number from 1 to 3650")


def test_an_owner_that_is_not_an_address_is_refused_by_its_label():
    errors, _ = read_issue_form({"email": "not-an-email", "license_type": "pro", "days": "30"})
    assert list(errors) == ["email"] and errors["email"].startswith("Owner's email:")


def test_a_good_form_gives_the_issue_arguments():
    errors, arguments = read_issue_form({"email": " Ada@Example.com ", "license_type": "team", "days": "365"})
    assert errors == {} and arguments == {"email": "ada@example.com", "license_type": "team", "days": 365}
    errors, arguments = read_issue_form({"email": "", "license_type": "pro", "days": ""})
    assert errors == {} and arguments["days"] is None  # perpetual, unassigned
