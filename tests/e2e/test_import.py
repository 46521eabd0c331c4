"""Real browser: upload a HubSpot-layout export on the contacts page, go through the preview (new companies,
the value step for HubSpot's lifecycle stages), import, then find the people, companies and phones by search."""

import csv
import io

from playwright.sync_api import expect

from db.crm import contacts
from tests.e2e.harness import enter_text, eventually, open_page, shot, wait_idle

HEADERS = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name", "Job Title",
           "Lifecycle Stage", "Original Source", "Create Date", "Contact owner"]
PEOPLE = [
    ["901", "Quilla", "Importova", "quilla@zyx-import.example", "+49 30 5550101", "Zyx Import Labs", "CTO",
     "opportunity", "ORGANIC_SEARCH", "2024-03-01 10:00", "admin@demo.example"],
    ["902", "Quentin", "Importova", "quentin@zyx-import.example", "+44 20 7946 0958", "zyx import labs ", "CFO",
     "salesqualifiedlead", "Offline", "2024-03-02 11:00", "Nobody Here"],
    ["903", "Quincy", "Importova", "quincy@zyx-import.example", "+1 415 555 0199", "Qwerty Imports Ltd", "",
     "evangelist", "", "2024-03-03 12:00", ""],
    ["903", "Quincy", "Importova", "quincy@zyx-import.example", "+1 415 555 0199", "Qwerty Imports Ltd", "",
     "evangelist", "", "2024-03-03 12:00", ""],
]


def _file() -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADERS, *PEOPLE])
    return out.getvalue().encode("utf-8")


def test_hubspot_export_through_the_contacts_page(signed_in, db):
    page = signed_in
    open_page(page, "Contacts")
    page.get_by_text("Import contacts from CSV or Excel").click()
    wait_idle(page)
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
        files=[{"name": "hubspot-contacts.csv", "mimeType": "text/csv", "buffer": _file()}])
    page.get_by_text("3. Check and import").wait_for(timeout=30_000)
    wait_idle(page)
    expect(page.get_by_text("2. Values")).to_be_visible()  # the value step for lifecycle and source
    metrics = {page.locator("[data-testid=stMetricLabel]").nth(i).inner_text().strip():
               page.locator("[data-testid=stMetricValue]").nth(i).inner_text().strip()
               for i in range(page.locator("[data-testid=stMetricLabel]").count())}
    assert metrics["New companies"] == "2" and metrics["Rows to import"] == "3"
    assert metrics["Repeats in the file"] == "1"
    expect(page.get_by_text("2 new companies will be created: Zyx Import Labs, Qwerty Imports Ltd.")).to_be_visible()
    expect(page.get_by_text("Record ID, Create Date").first).to_be_visible()  # kept in the note, said so
    panel = page.locator("[data-testid=stExpander]").filter(has_text="Import contacts from CSV or Excel")
    assert "Detected: UTF-8" in panel.locator("[data-testid=stSelectbox]").first.inner_html()
    page.set_viewport_size({"width": 1440, "height": 3000})  # the app scrolls inside: a tall window shows it all
    panel.scroll_into_view_if_needed()
    shot(page, "import_preview")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_role("button", name="Import 3 contacts").click()
    wait_idle(page, timeout=60_000)
    page.get_by_text("Imported: 3 created, 1 repeat merged, 2 new companies, 3 notes").wait_for(timeout=30_000)
    shot(page, "import_done")

    enter_text(page, page.get_by_test_id("stMainBlockContainer").get_by_role("textbox", name="Search"), "Importova")
    page.get_by_text("of 3").first.wait_for()  # the grid's "rows 1-3 of 3"
    shot(page, "import_found")
    found = eventually(page, lambda: contacts.page(db, contacts.Query(search="Importova"))[0])
    got = {(r["first_name"], r["phone"]): r["company_id"] for r in found}
    companies = dict(db.execute("SELECT id, name FROM companies WHERE name IN ('Zyx Import Labs', "
                                "'Qwerty Imports Ltd')").fetchall())
    assert {(k[0], k[1], companies.get(v)) for k, v in got.items()} == {
        ("Quilla", "+49305550101", "Zyx Import Labs"), ("Quentin", "+442079460958", "Zyx Import Labs"),
        ("Quincy", "+14155550199", "Qwerty Imports Ltd")}
    lifecycle = dict(db.execute("SELECT first_name, lifecycle FROM contacts WHERE last_name = 'Importova'"))
    assert lifecycle == {"Quilla": "prospect", "Quentin": "prospect", "Quincy": "customer"}
    # the linked company and the phone are found by typing them into the page's search, as a person would
    for term, person in (("Qwerty", "Quincy"), ("442079460958", "Quentin")):
        box = page.get_by_test_id("stMainBlockContainer").get_by_role("textbox", name="Search")
        enter_text(page, box, term)
        expect(page.get_by_text("Rows 1–1 of 1").first).to_be_visible()
        expect(page.locator("[id^=glide-cell-]").filter(has_text=person).first).to_be_attached()
        assert [r["first_name"] for r in contacts.page(db, contacts.Query(search=term))[0]] == [person]


def test_salesforce_accounts_through_the_companies_page(signed_in, db):
    page = signed_in
    open_page(page, "Companies")
    page.get_by_text("Import companies from CSV or Excel").click()
    wait_idle(page)
    out = io.StringIO()
    csv.writer(out).writerows([["Id", "Name", "Industry", "BillingCity", "BillingCountry", "Website", "Type"],
                               ["0015g1", "Umbra Import Works", "Energy", "Sofia", "България", "umbra.example",
                                "Customer"],
                               ["0015g2", "Vela Import Partners", "Retail", "Kyiv", "Ukraine", "", "Prospect"]])
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
        files=[{"name": "Account.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode("cp1251")}])
    page.get_by_text("3. Check and import").wait_for(timeout=30_000)
    wait_idle(page)
    panel = page.locator("[data-testid=stExpander]").filter(has_text="Import companies from CSV or Excel")
    assert "Detected: Windows-1251" in panel.locator("[data-testid=stSelectbox]").first.inner_html()
    page.set_viewport_size({"width": 1440, "height": 2200})
    panel.scroll_into_view_if_needed()
    shot(page, "import_companies_preview")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_role("button", name="Import 2 companies").click()
    page.get_by_text("Imported: 2 created").wait_for(timeout=30_000)
    got = {r[0]: tuple(r[1:]) for r in db.execute(
        "SELECT name, industry, city, country, lifecycle FROM companies WHERE name IN "
        "('Umbra Import Works', 'Vela Import Partners')")}
    assert got == {"Umbra Import Works": ("Energy", "Sofia", "BG", "customer"),
                   "Vela Import Partners": ("Retail", "Kyiv", "UA", "prospect")}


def test_broken_files_say_what_is_wrong_at_their_line(signed_in):
    page = signed_in
    open_page(page, "Contacts")
    page.get_by_text("Import contacts from CSV or Excel").click()
    wait_idle(page)
    uploader = page.locator("[data-testid=stFileUploader] input[type=file]")
    uploader.set_input_files(files=[{"name": "photo.csv", "mimeType": "text/csv", "buffer": bytes(range(256)) * 40}])
    page.get_by_text("This is not a CSV or Excel file").wait_for()
    uploader.set_input_files(files=[{"name": "empty.csv", "mimeType": "text/csv", "buffer": b"First Name,Email\n"}])
    page.get_by_text("no data rows: there is nothing to import").wait_for()
    broken = (b'First Name,Last Name,Email\nAna,Broken,ana@broken-quote.example\nBob,"Stone,bob@broken-quote.example\n'
              b"Cy,Moss,cy@broken-quote.example\nDi,Hart,di@broken-quote.example\n")
    uploader.set_input_files(files=[{"name": "broken.csv", "mimeType": "text/csv", "buffer": broken}])
    page.get_by_text("1 row has problems. Fix it in the file").wait_for()
    page.get_by_text("Line 3, column “Last Name”:").wait_for()
    expect(page.get_by_role("button", name="Import 1 contact")).to_be_disabled()
    body = page.locator("[data-testid=stMain]").inner_text()
    assert "Traceback" not in body and ".py" not in body
    page.set_viewport_size({"width": 1440, "height": 2000})
    page.get_by_text("3. Check and import").scroll_into_view_if_needed()
    shot(page, "import_problems")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_text("Leave out the 1 row with problems and import the rest").click()
    wait_idle(page)
    expect(page.get_by_role("button", name="Import 1 contact")).to_be_enabled()
