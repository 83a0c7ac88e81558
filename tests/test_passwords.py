"""Passwords and lockout (issue 14, item 8): each reproduces a finding of the outside probe.

``aaaaaaaaaaaa`` was accepted; a one-time password could be kept as the permanent one; the change form had no
throttle; five wrong guesses locked a named user out for 15 minutes, from anywhere.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth import passwords
from app.db import db, utcnow
from app.models import LoginAttempt, Role, User
from app.security import verify_password
from tests.conftest import TEST_PASSWORD

STRONG = [
    "violet submarine under quiet hills",
    "gravel orchid tangent 1987 lantern",
    "Okra-Ferris-Wheel-Pudding",
]


# --- the rules, without a web request --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("aaaaaaaaaaaa", 'Repeats like "aaa" are easy to guess'),  # the probe's example
        ("qwerty123456", "appears in lists of breached passwords"),
        ("QWERTY123456", "appears in lists of breached passwords"),  # the list is compared case-insensitively
        ("123qweasdzxc", "appears in lists of breached passwords"),
        ("short", "at least 12 characters"),
        ("x" * 129, "at most 128 characters"),
        ("abcdefghijklmnop", "too easy to guess"),
    ],
)
def test_weak_and_breached_passwords_are_refused_with_a_reason(password, expected):
    found = passwords.problems(password)
    assert found and expected in found[0], found


@pytest.mark.parametrize("password", STRONG)
def test_strong_passphrases_pass(password):
    assert passwords.problems(password) == []


def test_the_breached_list_is_zxcvbns_password_dictionary():
    """30,000 entries, the most frequent of a breach corpus; a few well-known members checked by hand."""
    breached = passwords.breached_passwords()
    assert len(breached) == 30000
    assert {"123456", "password", "qwerty", "letmein", "iloveyou"} <= breached


def test_the_users_own_name_and_email_count_as_known_words():
    """``whitfielddana!`` passes for a stranger but not for Dana Whitfield herself."""
    assert passwords.problems("whitfielddana!") == []
    refused = passwords.problems("whitfielddana!", ("dana.whitfield@spr-agency.org", "Dana Whitfield"))
    assert refused and "too easy to guess" in refused[0]


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0), (3, 0), (4, 2), (5, 4), (6, 8), (10, 128), (12, 512), (13, 900), (10_000, 900)],
)
def test_progressive_delay_doubles_after_the_free_failures(failures, seconds):
    """2 ** (failures - 3) seconds after 3 free failures, capped at 900 s: values worked out by hand."""
    assert passwords.progressive_delay(failures, free=3, cap=900) == seconds


# --- sign-in: per account and address ----------------------------------------------------------------------------


def _fail(client, email: str, addr: str, times: int) -> list[int]:
    return [
        client.post(
            "/auth/login",
            data={"email": email, "password": "wrong guess"},
            environ_base={"REMOTE_ADDR": addr},
        ).status_code
        for _ in range(times)
    ]


def test_guessing_from_another_address_never_locks_the_director_out(app, client, create_user):
    director = create_user(Role.DIRECTOR)
    statuses = _fail(client, director.email, "198.51.100.66", 10)
    assert statuses[:4] == [401, 401, 401, 401] and 429 in statuses  # the guesser waits
    own = app.test_client()
    response = own.post(
        "/auth/login",
        data={"email": director.email, "password": TEST_PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.10"},
    )
    assert response.status_code == 302  # the director, from her own address, signs in at once


def test_the_wait_ends_and_grows(app, client, create_user):
    user = create_user(Role.DIRECTOR)
    addr = "198.51.100.7"
    assert _fail(client, user.email, addr, 5) == [401, 401, 401, 401, 429]
    attempts = db.session.execute(sa.select(LoginAttempt)).scalars().all()
    assert len(attempts) == 4 and {a.remote_addr for a in attempts} == {addr}
    for attempt in attempts:  # the 2-second wait after the 4th failure has passed
        attempt.at -= timedelta(seconds=3)
    db.session.commit()
    assert _fail(client, user.email, addr, 2) == [401, 429]
    blocked = client.post(
        "/auth/login",
        data={"email": user.email, "password": TEST_PASSWORD},
        environ_base={"REMOTE_ADDR": addr},
    )
    assert blocked.status_code == 429 and b"Try again in 4 seconds" in blocked.data


def test_a_success_clears_the_count(app, client, create_user):
    user = create_user(Role.DIRECTOR)
    addr = "198.51.100.8"
    _fail(client, user.email, addr, 3)
    assert (
        client.post(
            "/auth/login",
            data={"email": user.email, "password": TEST_PASSWORD},
            environ_base={"REMOTE_ADDR": addr},
        ).status_code
        == 302
    )
    client.post("/auth/logout", environ_base={"REMOTE_ADDR": addr})
    assert _fail(client, user.email, addr, 4) == [401, 401, 401, 401]


# --- changing a password ----------------------------------------------------------------------------------------


def _change(client, current: str, new: str, confirm: str | None = None):
    return client.post(
        "/auth/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm": new if confirm is None else confirm,
        },
    )


def test_a_weak_new_password_is_refused_with_the_estimators_advice(client, create_user, login):
    user = create_user(Role.DIRECTOR, name="Dana Whitfield", email="dana.whitfield@spr-agency.org")
    login(user)
    weak = _change(client, TEST_PASSWORD, "aaaaaaaaaaaa")
    assert weak.status_code == 400 and b"Repeats like" in weak.data
    breached = _change(client, TEST_PASSWORD, "qwerty123456")
    assert breached.status_code == 400 and b"breached passwords" in breached.data
    own_name = _change(client, TEST_PASSWORD, "whitfielddana!")
    assert own_name.status_code == 400 and b"too easy to guess" in own_name.data
    same = _change(client, TEST_PASSWORD, TEST_PASSWORD)
    assert same.status_code == 400 and b"This is your current password" in same.data
    assert verify_password(db.session.get(User, user.id).password_hash, TEST_PASSWORD)  # nothing changed


def test_wrong_current_passwords_wait_like_sign_ins(client, create_user, login, app):
    user = create_user(Role.DIRECTOR)
    login(user)
    free = app.config["LOGIN_FREE_FAILURES"]
    for _ in range(free + 1):
        assert _change(client, "not my password", STRONG[0]).status_code == 400
    throttled = _change(client, TEST_PASSWORD, STRONG[0])  # even the right one waits
    assert throttled.status_code == 429 and b"Too many wrong current passwords" in throttled.data
    assert verify_password(db.session.get(User, user.id).password_hash, TEST_PASSWORD)


def test_password_changes_are_limited_per_hour(client, create_user, login, app):
    user = create_user(Role.DIRECTOR)
    login(user)
    chain = [TEST_PASSWORD, *STRONG, "quartz meadow pelican 42 saxophone"]
    limit = app.config["PASSWORD_CHANGES_PER_HOUR"]
    assert limit == 3
    for old, new in zip(chain[:limit], chain[1 : limit + 1], strict=True):
        assert _change(client, old, new).status_code == 302
    fourth = _change(client, chain[limit], chain[limit + 1])
    assert fourth.status_code == 429 and b"changed 3 times in the last hour" in fourth.data
    changes = (
        db.session.execute(sa.select(LoginAttempt).where(LoginAttempt.kind == LoginAttempt.PASSWORD_CHANGE))
        .scalars()
        .all()
    )
    for change in changes:
        change.at = utcnow() - timedelta(minutes=61)
    db.session.commit()
    assert _change(client, chain[limit], chain[limit + 1]).status_code == 302


def test_the_cli_refuses_a_weak_password(runner, app_ctx):
    result = runner.invoke(
        args=["create-user", "--email", "x@example.org", "--role", "director", "--password", "aaaaaaaaaaaa"]
    )
    assert result.exit_code != 0 and "--password: This password is too easy to guess" in result.output
    assert db.session.execute(sa.select(User)).first() is None
