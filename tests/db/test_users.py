import pytest

from db.core import users
from db.core.errors import AuthError, ValidationError


def test_password_is_hashed_and_verified(conn):
    uid = users.create_user(conn, email="Ana@Example.com", name="Ana", role="rep", password="long enough pw")
    stored = conn.execute("SELECT email, password_hash FROM users WHERE id = ?", (uid,)).fetchone()
    assert stored["email"] == "ana@example.com"
    assert stored["password_hash"].startswith("$argon2") and "long enough pw" not in stored["password_hash"]
    assert users.authenticate(conn, " ANA@example.com ", "long enough pw")["id"] == uid


@pytest.mark.parametrize("email,password,message", [
    ("nobody@example.com", "whatever pw 1", "Wrong email or password"),
    ("ana@example.com", "wrong password", "Wrong email or password"),
    ("", "", "Enter your email and password"),
])
def test_bad_sign_in_gives_one_clear_message(conn, email, password, message):
    users.create_user(conn, email="ana@example.com", name="Ana", role="rep", password="long enough pw")
    with pytest.raises(AuthError) as err:
        users.authenticate(conn, email, password)
    assert message in str(err.value)


def test_repeated_failures_slow_down_instead_of_locking_the_owner_out(conn, monkeypatch):
    """Growing delays per account and address replace the hard 15-minute lock (docs/security.md)."""
    users.create_user(conn, email="ana@example.com", name="Ana", role="rep", password="long enough pw")
    clock = [1_000_000.0]
    monkeypatch.setattr(users, "_clock", lambda: clock[0])
    free = users.THROTTLE["pair"][0]
    for _ in range(free + 1):
        with pytest.raises(AuthError, match="Wrong email or password"):
            users.authenticate(conn, "ana@example.com", "nope nope nope", "10.0.0.66")
    with pytest.raises(AuthError, match="Try again in 2 s"):
        users.authenticate(conn, "ana@example.com", "long enough pw", "10.0.0.66")
    # the owner, elsewhere, is not locked out by a stranger's guesses
    assert users.authenticate(conn, "ana@example.com", "long enough pw", "10.0.0.7")["email"] == "ana@example.com"
    clock[0] += 2
    with pytest.raises(AuthError, match="Wrong email or password"):
        users.authenticate(conn, "ana@example.com", "still wrong", "10.0.0.66")
    with pytest.raises(AuthError, match="Try again in 4 s"):
        users.authenticate(conn, "ana@example.com", "long enough pw", "10.0.0.66")
    clock[0] += 4
    assert users.authenticate(conn, "ana@example.com", "long enough pw", "10.0.0.66")["email"] == "ana@example.com"
    assert users.attempts(conn, "ana@example.com", "10.0.0.66") == 0  # a right password clears the account


def test_deactivated_user_learns_it_only_with_the_right_password(conn):
    uid = users.create_user(conn, email="ana@example.com", name="Ana", role="rep", password="long enough pw")
    conn.execute("UPDATE users SET active = 0 WHERE id = ?", (uid,))
    with pytest.raises(AuthError) as err:
        users.authenticate(conn, "ana@example.com", "wrong password")
    assert str(err.value) == "Wrong email or password."
    with pytest.raises(AuthError, match="deactivated"):
        users.authenticate(conn, "ana@example.com", "long enough pw")


@pytest.mark.parametrize("kwargs,field", [
    ({"email": "not-an-email"}, "email"),
    ({"email": "a@b"}, "email"),
    ({"email": "<script>@x.com"}, "email"),
    ({"password": "short"}, "password"),
    ({"password": "aaaaaaaaaa"}, "password"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 5000}, "name"),
    ({"role": "root"}, "role"),
])
def test_user_validation_names_the_field(conn, kwargs, field):
    base = {"email": "ana@example.com", "name": "Ana", "role": "rep", "password": "long enough pw"}
    with pytest.raises(ValidationError) as err:
        users.create_user(conn, **{**base, **kwargs})
    assert err.value.field == field
    assert conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0


def test_duplicate_email_is_refused(conn):
    users.create_user(conn, email="ana@example.com", name="Ana", role="rep", password="long enough pw")
    with pytest.raises(ValidationError, match="already exists"):
        users.create_user(conn, email="ANA@example.com", name="Ana 2", role="rep", password="long enough pw")


def test_first_admin_only_on_an_empty_database(conn):
    uid = users.create_first_admin(conn, email="boss@example.com", name="Boss", password="long enough pw")
    assert users.get_user(conn, uid)["role"] == "admin"
    with pytest.raises(ValidationError, match="already exists"):
        users.create_first_admin(conn, email="other@example.com", name="Other", password="long enough pw")


def test_sessions_expire_and_revoke(conn):
    uid = users.create_user(conn, email="ana@example.com", name="Ana", role="rep", password="long enough pw")
    token = users.create_session(conn, uid)
    assert users.session_user(conn, token)["id"] == uid
    assert users.session_user(conn, token + "x") is None
    assert users.session_user(conn, None) is None
    users.revoke_session(conn, token)
    assert users.session_user(conn, token) is None
    expired = users.create_session(conn, uid, days=-1)
    assert users.session_user(conn, expired) is None


def test_password_change_checks_the_old_one_and_revokes_sessions(conn):
    uid = users.create_user(conn, email="ana@example.com", name="Ana", role="rep", password="long enough pw")
    token = users.create_session(conn, uid)
    kept = users.create_session(conn, uid)
    with pytest.raises(ValidationError):
        users.change_password(conn, uid, "wrong", "a new long password")
    users.change_password(conn, uid, "long enough pw", "a new long password", keep=kept)
    assert users.session_user(conn, token) is None
    assert users.session_user(conn, kept)["id"] == uid  # the tab that made the change stays signed in
    assert users.authenticate(conn, "ana@example.com", "a new long password")["id"] == uid
