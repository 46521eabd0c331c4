"""Real browser, the done path of custom fields in views and import: an admin's single-choice and number fields
on deals (defined through the data layer here; the admin screen is tested on its own), values on some deals, a
manager groups a saved view by the choice summing the number and reads the totals; an import maps a column to
a contact field and makes another column a new field in one click.

It runs on its own copy of the e2e database with its own server: new columns on deals and contacts must not
change what other browser tests see."""

import csv
import io
import sqlite3

import pytest
from playwright.sync_api import expect

from db.core import fields, records
from db.core.connection import connect
from db.core.permissions import Actor
from tests.e2e.harness import Server, enter_text, eventually, explained, open_page, pick, shot, sign_in, wait_idle

TOTALS = {"Gold": 15, "Silver": 7}


@pytest.fixture(scope="module")
def custom(e2e_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("custom") / "crm.db"
    source, target = sqlite3.connect(e2e_db[0]), sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    conn = connect(path)
    admin = Actor(conn.execute("SELECT id FROM users WHERE role = 'admin' ORDER BY id").fetchone()[0], "admin", "A")
    for entity in ("deals", "contacts"):  # the shared database may hold other browser tests' fields (the admin
        for other in fields.active(conn, entity):  # screen's test adds some): these tests see their own only
            fields.set_archived(conn, other.id, True, admin)
    tier = fields.define(conn, "deals", {"type": "choice", "label": "Deal tier", "options": ["Gold", "Silver"]},
                         admin)
    seats = fields.define(conn, "deals", {"type": "number", "label": "Seats"}, admin)
    fields.define(conn, "contacts", {"type": "number", "label": "Shoe size"}, admin)
    level = fields.define(conn, "contacts", {"type": "choice", "label": "Customer level",
                                             "options": ["Key account", "Standard"]}, admin)
    fields.define(conn, "contacts", {"type": "text", "label": "Admin memo", "view_roles": ["admin"]}, admin)
    customers = [r[0] for r in conn.execute("SELECT id FROM contacts WHERE lifecycle = 'customer' "
                                            "AND deleted_at IS NULL ORDER BY id")]
    for i, cid in enumerate(customers):
        row = records.get(conn, "contacts", cid)
        records.update(conn, "contacts", cid, row["version"], {level.column: ("Key account", "Standard")[i % 2]},
                       admin)
    ids = [r[0] for r in conn.execute("SELECT id FROM deals WHERE deleted_at IS NULL ORDER BY id LIMIT 3")]
    for deal, (t, s) in zip(ids, [("Gold", 10), ("gold", "5"), ("Silver", 7)], strict=True):
        row = records.get(conn, "deals", deal)
        records.update(conn, "deals", deal, row["version"], {tier.column: t, seats.column: s}, admin)
    conn.close()
    server = Server(path, path.parent / "streamlit.log")
    yield server, e2e_db[1], path, {"tier": tier.key, "seats": seats.key}
    server.stop()


def _email(creds, role):
    return next(e for e in creds if e.startswith(role))


def _pick(page, label, option):
    pick(page, page.get_by_label(label), option)
    wait_idle(page)


def test_a_manager_groups_a_view_by_a_custom_choice_summing_a_custom_number(page, custom):
    server, creds, path, keys = custom
    sign_in(page, server.url, _email(creds, "manager"), creds[_email(creds, "manager")])
    open_page(page, "View builder")
    _pick(page, "Group by", "Deal tier")
    _pick(page, "Measure", "Sum of Seats")
    shot(page, "view_builder_custom_bars")
    page.get_by_text("Table", exact=True).click()
    wait_idle(page)
    cells = page.get_by_test_id("stDataFrame").locator("[id^=glide-cell-]")  # the canvas' accessible copy
    expect(cells.filter(has_text="Silver")).to_have_count(1)
    by_id = dict(zip(cells.evaluate_all("els => els.map(e => e.id)"), cells.all_inner_texts(), strict=True))
    shown = {by_id[i]: by_id.get(i.rsplit("-", 2)[0] + f"-{int(i.split('-')[2]) + 1}-{i.split('-')[3]}", "")
             for i in by_id if by_id[i] in TOTALS}
    assert {k: float(v) for k, v in shown.items()} == TOTALS
    page.get_by_label("View name").fill("Seats by tier")
    page.get_by_text("Share with the team").click()
    page.get_by_role("button", name="Save view").click()
    wait_idle(page)
    db = connect(path)
    saved = eventually(page, lambda: db.execute("SELECT definition FROM saved_views WHERE name = 'Seats by tier'")
                       .fetchone())
    # the keys the fields got (another browser test's archived "Seats" in the shared copy keeps "seats")
    assert saved and f'"group": "cf:{keys["tier"]}"' in saved[0] and f'"field": "cf:{keys["seats"]}"' in saved[0]
    page.get_by_role("heading", name="Seats by tier").first.wait_for()
    shot(page, "view_builder_custom_fields")
    _pick(page, "Group by", "(no grouping)")  # a list of deals with the custom fields as columns
    for column in ("Deal tier", "Seats"):
        pick(page, page.get_by_role("combobox", name="Columns (a list of records)"), column)
        wait_idle(page)
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Add filter").click()
    wait_idle(page)
    _pick(page, "Field", "Seats")
    _pick(page, "Operator", ">")
    enter_text(page, page.get_by_label("Value", exact=True), "0")
    with explained(page):
        expect(page.get_by_test_id("stDataFrame").locator("[id^=glide-cell-]").filter(has_text="Silver")) \
            .to_have_count(1)
    shot(page, "view_builder_list")


def _file() -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([["First Name", "Last Name", "Email", "Shoe size", "Plan"],
                               ["Cfa", "Importer", "cfa@cf-import.example", "42", "Pro"],
                               ["Cfb", "Importer", "cfb@cf-import.example", "38.5", "Basic"],
                               ["Cfc", "Importer", "cfc@cf-import.example", "", "pro"]])
    return out.getvalue().encode()


def test_an_import_maps_a_column_to_a_field_and_makes_another_a_new_field(page, custom):
    server, creds, path, _keys = custom
    sign_in(page, server.url, "admin@demo.example", creds["admin@demo.example"])
    open_page(page, "Contacts")
    page.get_by_text("Import contacts from CSV or Excel").click()
    wait_idle(page)
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": _file()}])
    page.get_by_text("3. Check and import").wait_for(timeout=30_000)
    wait_idle(page)
    page.set_viewport_size({"width": 1440, "height": 2600})
    shot(page, "import_new_field_offer")
    offer = page.locator("[data-testid=stVerticalBlock]").filter(has_text="New fields from columns").last
    expect(offer).to_contain_text("Plan")
    expect(offer.get_by_label("Type of the new field")).to_have_value("single choice")
    expect(offer).to_contain_text("Choices: Pro, Basic")
    offer.get_by_role("button", name="Create field").click()
    wait_idle(page)
    expect(page.get_by_text("The field Plan was created; the column goes to it.")).to_be_visible()
    expect(page.get_by_text("New fields from columns")).to_have_count(0)  # no column left for the note
    shot(page, "import_preview_custom_fields")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_role("button", name="Import 3 contacts").click()
    wait_idle(page, timeout=60_000)
    page.get_by_text("Imported: 3 created").wait_for(timeout=30_000)
    db = connect(path)
    plan = fields.active(db, "contacts")
    by_key = {f.key: f for f in plan}
    assert by_key["plan"].type == "choice" and by_key["plan"].options == ("Pro", "Basic")
    got = db.execute(f"SELECT first_name, {by_key['shoe_size'].column}, {by_key['plan'].column} FROM contacts "
                     "WHERE email LIKE '%@cf-import.example' ORDER BY first_name").fetchall()
    assert [tuple(r) for r in got] == [("Cfa", 42, "Pro"), ("Cfb", 38.5, "Basic"), ("Cfc", None, "Pro")]
    assert db.execute("SELECT COUNT(*) FROM activities a JOIN contacts c ON c.id = a.contact_id WHERE a.kind = 'note' "
                      "AND c.email LIKE '%@cf-import.example'").fetchone()[0] == 0  # nothing left for a note


def test_a_drill_down_shows_the_customers_custom_fields(page, custom):
    server, creds, _path, _keys = custom
    sign_in(page, server.url, _email(creds, "manager"), creds[_email(creds, "manager")])
    open_page(page, "Dashboard")
    page.locator("button[data-variant=segmented_control]:visible").filter(has_text="Year").first.click()
    wait_idle(page)
    page.get_by_role("tab", name="Profitability").click()
    page.get_by_text("Customer profit by channel").first.wait_for()
    wait_idle(page)
    # the chart's bars: Vega draws them as SVG paths of its rect marks (charts.EMBED asks for the SVG renderer)
    bars = page.locator("[data-testid=stVegaLiteChart]").first.locator(".mark-rect.role-mark path")
    bars.first.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    bar = bars.first.bounding_box()
    page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    wait_idle(page)
    page.get_by_text("behind this bar").first.wait_for()
    cells = page.get_by_test_id("stDataFrame").first.locator("[id^=glide-cell-]")
    expect(cells.filter(has_text="Key account").first).to_be_attached()
    page.get_by_text("behind this bar").first.scroll_into_view_if_needed()
    shot(page, "dashboard_drill_custom_fields")
    headers = page.get_by_test_id("stDataFrame").first.locator("th, [role=columnheader]").all_inner_texts()
    assert "Customer level" in headers and "Admin memo" not in headers, headers
