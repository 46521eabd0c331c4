"""Real browser: markdown, HTML, KaTeX and links planted in every user-editable name stay text on every page.

The names are planted through the data layer into a copy of the e2e database, served by a server of its
own (the shared one stays clean for the other tests). One signed-in session then visits every page as the
admin and checks, in the page and in every frame: no image, link, bold/colour/icon element or KaTeX that
the planted text made; no request to the pixel host; no backslash of an escape left visible.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from db.core import settings, users
from db.core.connection import connect
from db.core.permissions import Actor
from db.crm import activities, campaigns, companies, contacts, deals, pipelines, views
from tests.e2e.harness import Server, open_page, shot, sign_in, wait_idle

PIXEL = "127.0.0.1:9"  # nothing listens there; a request to it is what we look for
IMG = f"![HXI](http://{PIXEL}/hx-pixel.png)"
LINK_MD = "[HXL](https://evil.example)"
LINK_HTML = '<a href="https://evil.example">HXA</a>'
# Every construct leads with the image, so even a "first word" (the home greeting) carries one.
LONG = (f"{IMG} **HXB** :red[HXR] $HXM^2$ <b>HXH</b> {LINK_MD} :material_hxicon: :streamlit: hx@evil.example "
        f"{LINK_HTML}")  # 200-character fields: deal, company, user, activity, campaign
SHORT = f"{IMG} **HXB** :red[HXR] $HXM^2$ <b>HXH</b>"  # 100-character fields
SHORT2 = f"{LINK_MD} :material_hxicon: {LINK_HTML}"
TAG = f"{IMG} **HXB**"  # list items: 60 characters
FRAGMENTS = ["HXI", "HXB", "HXR", "HXH", "HXL", "HXA", "hxicon"]  # an element holding only one of these = markup

PROBE = """(fragments) => {
  const found = [];
  const roots = [document];
  for (let i = 0; i < roots.length; i++) {
    for (const el of roots[i].querySelectorAll('*')) {
      if (el.shadowRoot) roots.push(el.shadowRoot);
      const tag = el.tagName.toLowerCase();
      const own = (el.textContent || '').trim();
      const href = el.getAttribute('href') || el.getAttributeNS('http://www.w3.org/1999/xlink', 'href') || '';
      const src = el.getAttribute('src') || '';
      const alt = el.getAttribute('alt') || '';
      if (tag === 'img' && (src.includes('127.0.0.1:9') || alt.startsWith('HX') || alt === 'Streamlit logo'))
        found.push('img ' + alt + ' ' + src.slice(0, 60));
      if (tag === 'a' && /evil\\.example|127\\.0\\.0\\.1:9/.test(href)) found.push('link ' + href);
      if (el.classList && el.classList.contains('katex')) found.push('katex ' + own.slice(0, 40));
      if (fragments.includes(own) && !['script', 'style', 'title'].includes(tag))
        found.push(tag + ' holding ' + own + ' style=' + (el.getAttribute('style') || ''));
    }
  }
  return found;
}"""
VISIBLE_ESCAPE = re.compile(r"\\[!-/:-@\[-`{-~]")  # a backslash before a mark: an escape shown, not read


@pytest.fixture(scope="module")
def hostile(e2e_db, tmp_path_factory):
    """A copy of the seeded e2e database with hostile names everywhere, and a server over it."""
    path = tmp_path_factory.mktemp("hostile") / "crm.db"
    source, target = sqlite3.connect(e2e_db[0]), sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    conn = connect(path)
    try:
        planted = plant(conn)
    finally:
        conn.close()
    server = Server(path, path.parent / "streamlit.log")
    yield server, e2e_db[1], planted
    server.stop()


def plant(conn) -> dict:
    """Hostile text in every user-editable name, through the data layer's own validated writes."""
    admin = conn.execute("SELECT id, name FROM users WHERE email = 'admin@demo.example'").fetchone()
    actor = Actor(admin["id"], "admin", admin["name"])
    one = lambda sql, *a: [dict(r) for r in conn.execute(sql, a).fetchall()]  # noqa: E731 - a reader for the test
    for i, u in enumerate(one("SELECT id, version FROM users")):
        users.update_user(conn, u["id"], u["version"], {"name": f"{LONG} u{i}"[:200]}, actor)
    settings.set_value(conn, "tags", [TAG, *settings.get(conn, "tags")][:200], actor)
    people = one("SELECT id, version FROM contacts WHERE deleted_at IS NULL")
    contacts.save_grid(conn, [(p, {"first_name": SHORT, "last_name": SHORT2, "tags": TAG}) for p in people], [], [],
                       actor)
    firms = one("SELECT id, version FROM companies WHERE deleted_at IS NULL")
    companies.save_grid(conn, [(c, {"name": f"{LONG} c{i}"[:200]}) for i, c in enumerate(firms)], [], [], actor)
    for i, d in enumerate(one("SELECT id, version FROM deals WHERE deleted_at IS NULL")):
        deals.update(conn, d["id"], d["version"], {"title": f"{LONG} d{i}"[:200]}, actor)
    near = one("SELECT id, version FROM activities WHERE deleted_at IS NULL AND COALESCE(starts_at, due_at) "
               "BETWEEN datetime('now', '-60 days') AND datetime('now', '+30 days')")
    for a in near:
        activities.edit(conn, a["id"], a["version"], {"subject": LONG}, actor)
    channels = settings.get(conn, "channels")
    rows = one("SELECT * FROM campaigns WHERE deleted_at IS NULL")
    campaigns.save_grid(conn, [(r, {"name": f"{LONG} k{i}"[:200]}) for i, r in enumerate(rows)], [], channels, actor)
    for i, p in enumerate(one("SELECT id, version, position FROM pipelines WHERE deleted_at IS NULL")):
        pipelines.update_pipeline(conn, p["id"], p["version"], f"{SHORT2} p{i}", p["position"], actor)
        stages = one("SELECT * FROM stages WHERE pipeline_id = ? AND deleted_at IS NULL", p["id"])
        pipelines.save_stages(conn, p["id"], [(s, {"name": f"{SHORT} s{j}"}) for j, s in enumerate(stages)], [], [],
                              actor)
    builder = {"schema": views.SCHEMA, "record": "deals", "filters": [], "group": "stage",
               "measure": {"kind": "count"}, "display": "bar", "limit": 100}
    view_id = views.save(conn, f"{SHORT} v", "views", builder, actor, shared=True, pinned=True)
    views.save(conn, f"{SHORT2} g", "contacts", {"schema": views.SCHEMA, "filters": {"c_search": ""}}, actor,
               shared=True)
    deal = one("SELECT id, contact_id, company_id FROM deals WHERE deleted_at IS NULL AND contact_id IS NOT NULL "
               "AND company_id IS NOT NULL ORDER BY id LIMIT 1")[0]
    soon = datetime.now(UTC).replace(tzinfo=None, microsecond=0) + timedelta(minutes=5)
    activities.create(conn, {"kind": "task", "subject": LONG, "owner_id": admin["id"], "contact_id": deal["contact_id"],
                             "deal_id": deal["id"], "starts_at": soon, "ends_at": soon + timedelta(minutes=30)}, actor)
    _plant_custom_fields(conn, deal, actor)
    return {"activities": len(near), "view": view_id, "deal": deal["id"], "contact": deal["contact_id"],
            "company": deal["company_id"]}


def _plant_custom_fields(conn, deal: dict, actor: Actor) -> None:
    """A custom field with a hostile label, help, section and choice on each record the visit opens."""
    from db.core import fields, records

    for entity, rid in (("contacts", deal["contact_id"]), ("companies", deal["company_id"]), ("deals", deal["id"])):
        field = fields.define(conn, entity, {"type": "choice", "label": f"{SHORT} f", "help": SHORT, "section": TAG,
                                             "options": [TAG, "plain"]}, actor)
        row = records.get(conn, entity, rid)
        records.update(conn, entity, rid, row["version"], {field.column: TAG}, actor)


def problems(page) -> list[str]:
    """Elements the planted text made, in the page and every frame (the calendar is an iframe)."""
    found = []
    for frame in page.frames:
        try:
            found += frame.evaluate(PROBE, FRAGMENTS)
        except Exception:  # noqa: BLE001 - a frame that went away while we looked
            continue
    text = page.locator("body").inner_text()
    found += [f"visible escape {m!r}" for m in VISIBLE_ESCAPE.findall(text)]
    return found


def main_text(page) -> str:
    """The page's text, its frames' and the chart tooltip's (chart labels are cut to fit; the tooltip is whole)."""
    return page.locator("[data-testid=stMain]").evaluate("el => el.textContent") + tooltip(page) + "".join(
        f.evaluate("() => document.body ? document.body.textContent : ''") for f in page.frames[1:])


def tooltip(page) -> str:
    return page.evaluate("() => (document.querySelector('#vg-tooltip-element.visible') || {}).textContent || ''")


def hover_a_planted_mark(page) -> bool:
    """Point at a bar or point of the first chart that names planted text: Vega's tooltip, HTML put into the
    page on hover, then shows the whole label, and the probe sees whatever it made of it."""
    charts = page.locator("[data-testid=stVegaLiteChart]")
    for i in range(charts.count()):
        chart = charts.nth(i)
        if "HXI" in chart.evaluate("c => c.textContent"):
            mark = chart.locator(".mark-rect.role-mark path, .mark-symbol.role-mark path").first
            mark.scroll_into_view_if_needed()
            box = mark.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(500)
            return True
    return False


def settle(page) -> None:
    wait_idle(page)
    page.wait_for_timeout(600)  # charts and components paint after the run


def test_hostile_names_stay_text_on_every_page(page, hostile):
    server, creds, planted = hostile
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    sign_in(page, server.url, "admin@demo.example", creds["admin@demo.example"])
    assert planted["activities"] > 0
    report: dict[str, list[str]] = {}
    shown_in_main: dict[str, bool] = {}
    tips: dict[str, str] = {}

    def look(name: str, expect_text: bool, screenshot: bool = False, chart: bool = False) -> None:
        settle(page)
        assert page.locator("[data-testid=stException]").count() == 0, name
        if chart:
            assert hover_a_planted_mark(page), name
            tips[name] = tooltip(page)
        report[name] = problems(page)
        shown_in_main[name] = "HXB" in main_text(page) if expect_text else True
        if screenshot:
            shot(page, f"hostile_{name}")

    look("home", True, screenshot=True)
    for label, key, expect in [("Contacts", "contacts", False), ("Companies", "companies", False),
                               ("Deals", "deals", True), ("Calendar", "calendar", True), ("My day", "tasks", True),
                               ("Feedback", "feedback", False), ("Campaigns", "campaigns", False),
                               ("Segments", "segments", False), ("Leaderboard", "leaderboard", True),
                               ("Account", "account", False), ("Audit log", "audit", False)]:
        open_page(page, label)
        look(key, expect, screenshot=key in ("deals", "calendar"))
    open_page(page, "Admin")
    page.get_by_role("tab", name="Pipelines").click()
    look("admin", False)
    open_page(page, "Dashboard")
    look("dashboard", False)
    # a year of data: on the 1st of a month the month's funnel is empty and says so instead of naming stages
    page.locator("[data-testid=stMain]").get_by_text("Year", exact=True).click()
    for tab, name in [("Profitability", "dashboard_profit"), ("Funnel and win rate", "dashboard_funnel"),
                      ("Acquisition cost", "dashboard_acquisition")]:
        page.get_by_role("tab", name=tab).click()
        named = name != "dashboard_acquisition"  # by channel: no names
        look(name, named, screenshot=name == "dashboard_funnel", chart=named)
    page.locator("[data-testid=stMain]").get_by_text("campaign", exact=True).click()
    look("dashboard_cac_campaign", True, chart=True)
    # the view builder through its sidebar link: a hostile name in the sidebar, the heading and the chart title
    page.locator("[data-testid=stSidebar]").get_by_role("link").filter(has_text="HXB").first.click()
    look("views", True, screenshot=True, chart=True)
    for path, name in [(f"/contacts?id={planted['contact']}", "contact_record"),
                       (f"/companies?id={planted['company']}", "company_record"),
                       (f"/deals?id={planted['deal']}", "deal")]:
        page.goto(server.url + path)
        page.locator("h1").first.wait_for()
        look(name, True, screenshot=True)
    page.get_by_role("tab", name="Activities").click()
    look("deal_activities", True)
    page.get_by_role("tab", name="Stage history").click()
    look("deal_moves", True)
    page.goto(server.url + "/search?q=HXB")  # the global search lists every planted name (pages/search.py)
    page.locator("h1").first.wait_for()
    look("search", True, screenshot=True)

    assert len(report) == 25
    assert {k: v for k, v in report.items() if v} == {}
    assert [k for k, ok in shown_in_main.items() if not ok] == []  # the hostile text really was on those pages
    assert [u for u in requests if PIXEL in u or "evil.example" in u] == []
    # the tooltips showed the planted names as written: the HTML in them is text (vega-tooltip escapes it)
    assert sorted(tips) == ["dashboard_cac_campaign", "dashboard_funnel", "dashboard_profit", "views"]
    assert {k: v for k, v in tips.items() if "<b>HXH</b>" not in v} == {}
