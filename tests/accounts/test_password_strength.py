"""New passwords are rated by zxcvbn, and a refusal says what kinds it refuses."""

from __future__ import annotations

import pytest

from jobspy_web.accounts.passwords import REFUSED, password_problem
from jobspy_web.accounts.users import AccountError, AccountErrorCode


@pytest.mark.parametrize("password", ["1234567890", "password123", "qwertyuiop", "abcdefghij", "aaaaaaaaaaaa", "1990-01-01x"])
def test_guessable_passwords_of_ten_characters_or_more_are_refused(password):
    problem = password_problem(password)
    assert problem is not None
    assert problem.endswith(REFUSED)


def test_a_password_built_from_the_email_is_refused():
    assert password_problem("adalovelace1", email="adalovelace@example.com") is not None


@pytest.mark.parametrize("password", ["correct horse battery", "a brand new passphrase", "tulip-Orbit-9-canyon"])
def test_uncommon_passphrases_pass(password):
    assert password_problem(password, email="ada@example.com") is None


def test_the_weak_password_sentence_names_what_is_refused():
    sentence = AccountError(AccountErrorCode.WEAK_PASSWORD).message
    assert "common passwords" in sentence and "keyboard patterns" in sentence
