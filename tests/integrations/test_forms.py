"""Web-to-lead over real HTTP: the public endpoint of a running server, checked through the data layer."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta

import pytest

from db.analytics import kpi
from db.core import fields
from db.core.errors import ValidationError
from db.core.filters import Filters
from db.crm import campaigns, deals, webforms
from tests.e2e.harness import Server
from tests.integrations.conftest import FAST


@pytest.fixture(scope="module")
def db_path(tmp_path_factory, _template):
    """One database and server for the module (each test makes its own form); starting a server costs ~4 s."""
    path = tmp_path_factory.mktemp("forms") / "crm.db"
    shutil.copy(_template, path)
    return path


@pytest.fixture(scope="module")
def server(db_path, tmp_path_factory):
    srv = Server(db_path, tmp_path_factory.mktemp("forms_logs") / "server.log", env=FAST)
    yield srv
    srv.stop()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def post(url: str, data: dict, *, as_json: bool = False, headers: dict | None = None):
    """(status, headers, body text) of a POST, form-encoded or JSON; never follows a redirect."""
    body = json.dumps(data).encode() if as_json else urllib.parse.urlencode(data).encode()
    kind = "application/json" if as_json else "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": kind, **(headers or {})})
    try:
        with OPENER.open(request, timeout=10) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


@pytest.fixture
def campaign(conn):
    return dict(conn.execute("SELECT id, name, channel FROM campaigns WHERE deleted_at IS NULL ORDER BY id LIMIT 1")
                .fetchone())


@pytest.fixture
def reps(conn):
    return [r[0] for r in conn.execute("SELECT id FROM users WHERE role != 'admin' AND active = 1 ORDER BY id")]


@pytest.fixture
def form(conn, admin, campaign, reps):
    conn.execute("DELETE FROM webform_hits")  # every test starts with a clean rate-limit slate
    return webforms.create(conn, {"name": "Website", "fields": ["first_name", "last_name", "email", "message"],
                                  "campaign_id": campaign["id"], "owner_mode": "round_robin", "owners": reps[:2],
                                  "tags": "Web, Inbound"}, admin)


def leads_of(conn, campaign_id: int) -> int:
    return next(r["leads"] for r in campaigns.results(conn) if r["id"] == campaign_id)


def test_a_json_post_makes_a_lead_that_counts_for_the_campaign(conn, admin, server, form, campaign, reps):
    before = leads_of(conn, campaign["id"])
    url = f"{server.url}/forms/{form['public_id']}"
    status, headers, body = post(url, {"first_name": "Lena", "last_name": "Web", "email": "Lena@Example.com",
                                       "message": "Call me about pricing"}, as_json=True)
    assert (status, json.loads(body)) == (201, {"ok": True})
    assert headers["Access-Control-Allow-Origin"] == "*"
    lead = dict(conn.execute("SELECT * FROM contacts WHERE email = 'lena@example.com'").fetchone())
    assert (lead["campaign_id"], lead["channel"], lead["lifecycle"], lead["tags"]) == (
        campaign["id"], campaign["channel"], "lead", "web,inbound")
    assert lead["owner_id"] == reps[0]
    note = conn.execute("SELECT subject, notes, owner_id FROM activities WHERE contact_id = ?", (lead["id"],)).fetchone()
    assert note["subject"] == "Web form: Website" and "Call me about pricing" in note["notes"]
    assert leads_of(conn, campaign["id"]) == before + 1
    # won later, the lead is a new customer of that campaign in the acquisition figures (CAC)
    month = date.today().replace(day=1)
    period = Filters(month, (month + timedelta(days=32)).replace(day=1), campaign_id=campaign["id"])
    customers = kpi.acquisition(conn, period)["new_customers"]
    stage = conn.execute("SELECT s.id, s.pipeline_id FROM stages s JOIN pipelines p ON p.id = s.pipeline_id "
                         "WHERE p.kind = 'sales' AND s.kind = 'open' ORDER BY p.id, s.position LIMIT 1").fetchone()
    won = conn.execute("SELECT id FROM stages WHERE pipeline_id = ? AND kind = 'won'", (stage["pipeline_id"],)).fetchone()
    deal_id = deals.create(conn, {"title": "Lena's order", "pipeline_id": stage["pipeline_id"], "stage_id": stage["id"],
                                  "contact_id": lead["id"], "amount": 900, "owner_id": lead["owner_id"]}, admin)
    deals.move(conn, deal_id, won["id"], 1, admin)
    assert kpi.acquisition(conn, period)["new_customers"] == customers + 1


def test_round_robin_and_a_known_email_gets_a_note_not_a_duplicate(conn, server, form, reps):
    url = f"{server.url}/forms/{form['public_id']}"
    for name in ("Ann", "Bob", "Cid"):
        assert post(url, {"first_name": name, "email": f"{name.lower()}@example.org"})[0] == 303
    owners = [conn.execute("SELECT owner_id FROM contacts WHERE first_name = ? AND email LIKE '%example.org'",
                           (n,)).fetchone()[0] for n in ("Ann", "Bob", "Cid")]
    assert owners == [reps[0], reps[1], reps[0]]
    status, _, body = post(url, {"first_name": "Annie", "email": "ANN@example.org", "message": "Me again"},
                           as_json=True)
    assert (status, json.loads(body)) == (200, {"ok": True})  # the same answer: nobody learns who is known
    assert conn.execute("SELECT COUNT(*) FROM contacts WHERE email = 'ann@example.org'").fetchone()[0] == 1
    ann = conn.execute("SELECT id FROM contacts WHERE email = 'ann@example.org'").fetchone()[0]
    notes = [r[0] for r in conn.execute("SELECT notes FROM activities WHERE contact_id = ? ORDER BY id", (ann,))]
    assert len(notes) == 2 and "Me again" in notes[1]


def test_a_browser_post_is_redirected_to_the_thank_you_page(conn, admin, server, form):
    url = f"{server.url}/forms/{form['public_id']}"
    status, headers, _ = post(url, {"first_name": "Dora"})
    assert status == 303 and headers["Location"] == f"/forms/{form['public_id']}/thanks"
    with urllib.request.urlopen(server.url + headers["Location"], timeout=10) as page:
        assert "Thank you" in page.read().decode()
    webforms.update(conn, form["id"], {"redirect_url": "https://example.com/thanks"}, admin)
    assert post(url, {"first_name": "Eve"})[1]["Location"] == "https://example.com/thanks"
    with urllib.request.urlopen(url, timeout=10) as hosted:  # the hosted copy of the form
        html = hosted.read().decode()
    assert f'action="/forms/{form["public_id"]}"' in html and 'name="website"' in html


@pytest.mark.parametrize(("data", "field"), [
    ({"first_name": "", "email": "x@example.com"}, "first_name"),
    ({"first_name": "Fay", "email": "not-an-email"}, "email"),
    ({"first_name": "Gus", "message": "x" * 5001}, "message"),
])
def test_bad_input_is_refused_naming_the_field(conn, server, form, data, field):
    count = conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0]
    status, headers, body = post(f"{server.url}/forms/{form['public_id']}", data, as_json=True,
                                 headers={"Accept-Language": "ru"})
    answer = json.loads(body)
    assert status == 422 and answer["field"] == field and not answer["ok"]
    assert any("\u0400" <= ch <= "\u04ff" for ch in answer["message"])  # in the caller's language (Russian)
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == count


def test_honeypot_thanks_the_bot_and_stores_nothing(conn, server, form):
    count = conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0]
    status, _, body = post(f"{server.url}/forms/{form['public_id']}",
                           {"first_name": "Spam", "email": "spam@example.net", "website": "http://spam.example"},
                           as_json=True)
    assert status == 200 and json.loads(body) == {"ok": True}
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == count


def test_rate_limit_per_address(conn, server, form):
    url = f"{server.url}/forms/{form['public_id']}"
    answers = [post(url, {"first_name": f"Burst {i}"}, as_json=True) for i in range(webforms.RATE_LIMIT + 2)]
    assert [a[0] for a in answers[:webforms.RATE_LIMIT]] == [201] * webforms.RATE_LIMIT
    status, headers, body = answers[-1]
    assert status == 429 and 3000 < int(headers["Retry-After"]) <= 3601 and json.loads(body)["ok"] is False
    made = conn.execute("SELECT COUNT(*) FROM contacts WHERE first_name LIKE 'Burst %'").fetchone()[0]
    assert made == webforms.RATE_LIMIT


def test_unknown_or_switched_off_forms_answer_404(conn, admin, server, form):
    assert post(f"{server.url}/forms/nope", {"first_name": "X"}, as_json=True)[0] == 404
    webforms.update(conn, form["id"], {"active": False}, admin)
    assert post(f"{server.url}/forms/{form['public_id']}", {"first_name": "X"}, as_json=True)[0] == 404


def test_an_oversized_body_is_refused_unread(conn, server, form):
    count = conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0]
    status, _, body = post(f"{server.url}/forms/{form['public_id']}", {"first_name": "Big", "message": "x" * 70_000},
                           as_json=True)
    assert status == 422 and json.loads(body)["field"] == "form"
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == count


def test_a_malformed_body_is_a_plain_error(server, form):
    request = urllib.request.Request(f"{server.url}/forms/{form['public_id']}", data=b"[1, 2", method="POST",
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 422 and json.loads(caught.value.read())["field"] == "form"


def test_custom_fields_of_contacts_on_a_form(conn, admin, server, campaign, reps):
    size = fields.define(conn, "contacts", {"type": "choice", "labels": {"en": "Team size"},
                                            "options": ["1-10", "11-50", "51+"]}, admin)
    source = fields.define(conn, "contacts", {"type": "text", "labels": {"en": "Source"}, "key": "lead_source"},
                           admin)
    fields.change(conn, source.id, source.version, {"required": True}, admin)
    try:
        with pytest.raises(ValidationError) as caught:  # a required field the form lacks would sink every post
            webforms.create(conn, {"name": "Bad", "fields": ["first_name"], "owners": reps[:1]}, admin)
        assert caught.value.field == "fields" and "Source" in str(caught.value)
        form = webforms.create(conn, {"name": "Sized", "fields": ["first_name", "email", "custom.team_size",
                                                                  "custom.lead_source"], "owners": reps[:1]}, admin)
        url = f"{server.url}/forms/{form['public_id']}"
        with urllib.request.urlopen(url, timeout=10) as hosted:
            page = hosted.read().decode()
        assert '<select name="team_size">' in page and "<option>11-50</option>" in page
        assert '<input type="text" name="lead_source" required>' in page
        status, _, body = post(url, {"first_name": "Iva", "team_size": "huge", "lead_source": "ad"}, as_json=True)
        assert status == 422 and json.loads(body)["field"] == "team_size"
        status, _, body = post(url, {"first_name": "Iva", "team_size": "1-10"}, as_json=True)
        assert status == 422 and json.loads(body)["field"] == "lead_source"
        assert post(url, {"first_name": "Iva", "team_size": "11-50", "lead_source": "ad"})[0] == 303
        lead = conn.execute(f"SELECT {size.column} AS size, {source.column} AS source FROM contacts "
                            "WHERE first_name = 'Iva'").fetchall()
        assert [tuple(r) for r in lead] == [("11-50", "ad")]
    finally:  # the module shares one database: the next test must not meet a required field
        fields.set_archived(conn, source.id, True, admin)
        fields.set_archived(conn, size.id, True, admin)
