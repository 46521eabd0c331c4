"""A real server (``streamlit run server.py``, as the e2e tests start it) over a copy of a tiny seeded database,
with an API key per role made through the data layer, and a small HTTP client."""

from __future__ import annotations

import shutil

import pytest
import requests

from db.core import apikeys, records
from db.core.connection import connect
from db.core.permissions import SYSTEM, Actor
from db.core.users import hash_password
from tests.e2e.harness import Server

ROLES = ("admin", "manager", "rep", "rep2")


class Client:
    """HTTP with one key; every call returns the ``requests`` response."""

    def __init__(self, base: str, key: str | None):
        self.base, self.key = base + "/api/v1", key
        self.session = requests.Session()

    def call(self, method: str, path: str, *, json=None, headers: dict | None = None, **kw) -> requests.Response:
        head = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return self.session.request(method, self.base + path, json=json, headers={**head, **(headers or {})},
                                    timeout=30, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)

    def patch(self, path, json=None, version=None, **kw):
        headers = kw.pop("headers", {}) | ({"If-Match": f'"{version}"'} if version is not None else {})
        return self.call("PATCH", path, json=json, headers=headers, **kw)

    def delete(self, path, version=None, **kw):
        return self.call("DELETE", path, headers={"If-Match": f'"{version}"'} if version is not None else {}, **kw)


def _person(conn, email: str, name: str, role: str, language: str = "en") -> Actor:
    uid = records.create(conn, "users", {"email": email, "name": name, "role": role, "language": language,
                                         "password_hash": hash_password("correct horse battery")}, SYSTEM)
    return Actor(uid, role, name)


CUSTOM = {  # entity -> field specs (db/core/fields.define)
    "contacts": [
        {"key": "tier", "type": "choice", "labels": {"en": "Tier", "ru": "Уровень"}, "options": ["Gold", "Silver"]},
        {"key": "score", "type": "number", "labels": {"en": "Score", "ru": "Оценка"}},
        {"key": "renewal", "type": "date", "labels": {"en": "Renewal", "ru": "Продление"}},
        {"key": "topics", "type": "multi_choice", "labels": {"en": "Topics"}, "options": ["api", "crm", "sso"]},
        {"key": "vip", "type": "checkbox", "labels": {"en": "VIP", "ru": "VIP-клиент"},
         "edit_roles": ["admin", "manager"]},
        {"key": "margin_note", "type": "text", "labels": {"en": "Margin note"}, "view_roles": ["admin", "manager"],
         "edit_roles": ["admin", "manager"]}],
    "deals": [{"key": "source_detail", "type": "text", "labels": {"en": "Source detail"}}],
    "activities": [{"key": "outcome", "type": "choice", "labels": {"en": "Outcome"}, "options": ["won", "lost"]}],
}


def _custom_fields(conn, admin: Actor) -> None:
    from db.core import fields

    for entity, specs in CUSTOM.items():
        for spec in specs:
            fields.define(conn, entity, {"view_roles": ["admin", "manager", "rep"],
                                         "edit_roles": ["admin", "manager", "rep"], **spec}, admin)


@pytest.fixture(scope="session")
def api_env(tmp_path_factory, _seeded_template):
    """(database path, {role: key}, {role: Actor}) over a copy of the tiny seed with our own people."""
    path = tmp_path_factory.mktemp("api") / "crm.db"
    shutil.copy(_seeded_template[0], path)
    conn = connect(path)
    people = {"admin": _person(conn, "api-admin@test.example", "Ada Admin", "admin"),
              "manager": _person(conn, "api-manager@test.example", "Mia Manager", "manager"),
              "rep": _person(conn, "api-rep@test.example", "Rob Rep", "rep", "ru"),
              "rep2": _person(conn, "api-rep2@test.example", "Rita Rep", "rep")}
    _custom_fields(conn, people["admin"])
    keys = {role: apikeys.create(conn, a.id, f"{role} key", "write", None, a) for role, a in people.items()}
    keys["read"] = apikeys.create(conn, people["manager"].id, "read key", "read", 30, people["manager"])
    conn.close()
    return path, keys, people


@pytest.fixture(scope="session")
def api_server(api_env, tmp_path_factory):
    srv = Server(api_env[0], tmp_path_factory.mktemp("api-logs") / "server.log", env={"CRM_API_RATE": "100000"})
    yield srv
    srv.stop()


@pytest.fixture
def clients(api_server, api_env) -> dict[str, Client]:
    return {role: Client(api_server.url, key) for role, key in api_env[1].items()}


@pytest.fixture
def db(api_env):
    conn = connect(api_env[0])
    yield conn
    conn.close()
