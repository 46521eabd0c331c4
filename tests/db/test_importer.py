"""Import: other CRMs' export layouts, encodings, broken quotes, repeats inside the file, value mapping,
companies matched and created, nothing dropped, Excel formulas, the export's CSV guard, all or nothing."""

import csv
import io
import time
from pathlib import Path

import pytest
from openpyxl import Workbook

from db.core import records
from db.core.errors import ValidationError
from db.io import importer
from db.io.import_map import NOTE, guess_mapping, key


def _csv(rows):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def _plan(conn, raw, name="c.csv", target="contacts", **kw):
    table = importer.read(raw, name)
    return importer.plan(conn, table, importer.guess_mapping(table.headers, target), target=target, **kw), table


def _count(conn, sql, *args):
    return conn.execute(sql, args).fetchone()[0]


def _notes(conn):
    return [r[0] for r in conn.execute("SELECT notes FROM activities WHERE kind = 'note' ORDER BY id")]


# Each layout: the export's real headers and where each must go. Nothing is left to None (dropped).
LAYOUTS = {
    "hubspot": {"Record ID": NOTE, "First Name": "first_name", "Last Name": "last_name", "Email": "email",
                "Phone Number": "phone", "Mobile Phone Number": "phone", "Company Name": "company",
                "Associated Company": "company", "Job Title": "title", "Contact owner": "owner",
                "Lifecycle Stage": "lifecycle", "Lead Status": NOTE, "Original Source": "channel",
                "Create Date": NOTE, "Last Activity Date": NOTE, "Street Address": NOTE, "City": NOTE,
                "State/Region": NOTE, "Postal Code": NOTE, "Country/Region": "country", "Website URL": NOTE},
    "salesforce_contacts": {"Id": NOTE, "Salutation": NOTE, "FirstName": "first_name", "LastName": "last_name",
                            "Account.Name": "company", "AccountId": NOTE, "Title": "title", "Email": "email",
                            "Phone": "phone", "MobilePhone": "phone", "MailingStreet": NOTE, "MailingCity": NOTE,
                            "MailingState": NOTE, "MailingPostalCode": NOTE, "MailingCountry": "country",
                            "LeadSource": "channel", "Owner.Email": "owner", "Description": NOTE,
                            "CreatedDate": NOTE},
    "salesforce_leads": {"Id": NOTE, "FirstName": "first_name", "LastName": "last_name", "Company": "company",
                         "Title": "title", "Email": "email", "Phone": "phone", "MobilePhone": "phone",
                         "Street": NOTE, "City": NOTE, "State": NOTE, "PostalCode": NOTE, "Country": "country",
                         "LeadSource": "channel", "Status": "lifecycle", "Industry": NOTE, "Rating": NOTE,
                         "Website": NOTE, "Owner.Name": "owner", "CreatedDate": NOTE},
    "espocrm": {"id": NOTE, "name": NOTE, "salutationName": NOTE, "firstName": "first_name", "lastName": "last_name",
                "accountName": "company", "title": "title", "emailAddress": "email", "phoneNumber": "phone",
                "addressStreet": NOTE, "addressCity": NOTE, "addressCountry": "country", "description": NOTE,
                "createdAt": NOTE, "assignedUserName": "owner", "leadSource": "channel"},
    "pipedrive": {"Person - ID": NOTE, "Person - Name": NOTE, "Person - First name": "first_name",
                  "Person - Last name": "last_name", "Person - Organization": "company",
                  "Person - Email - Work": "email", "Person - Email - Home": "email",
                  "Person - Phone - Work": "phone", "Person - Phone - Mobile": "phone", "Person - Owner": "owner",
                  "Person - Labels": "tags", "Person - Person created": NOTE, "Person - Visible to": NOTE},
    "zoho": {"Record Id": NOTE, "Contact Owner": "owner", "Lead Source": "channel", "First Name": "first_name",
             "Last Name": "last_name", "Full Name": NOTE, "Account Name": "company", "Email": "email",
             "Secondary Email": "email", "Title": "title", "Department": NOTE, "Phone": "phone", "Mobile": "phone",
             "Home Phone": "phone", "Fax": NOTE, "Mailing Street": NOTE, "Mailing City": NOTE, "Mailing Zip": NOTE,
             "Mailing Country": "country", "Description": NOTE, "Tag": "tags", "Created Time": NOTE},
    "twenty": {"Id": NOTE, "Name / First Name": "first_name", "Name / Last Name": "last_name",
               "Emails / Primary Email": "email", "Emails / Additional Emails": "email",
               "Phones / Primary Phone Number": "phone", "Phones / Primary Phone Country Code": "country",
               "Job Title": "title", "City": NOTE, "Company": "company", "Linkedin / Link URL": NOTE,
               "Creation date": NOTE},
    "this_app": {"id": NOTE, "first_name": "first_name", "last_name": "last_name", "email": "email",
                 "phone": "phone", "title": "title", "company": "company", "owner": "owner",
                 "lifecycle": "lifecycle", "channel": "channel", "campaign": "campaign", "tags": "tags",
                 "created_at": NOTE},
    "ru": {"Имя": "first_name", "Фамилия": "last_name", "Отчество": NOTE, "Эл. почта": "email",
           "Телефон": "phone", "Мобильный телефон": "phone", "Компания": "company", "Должность": "title",
           "Ответственный": "owner", "Источник": "channel", "Стадия": "lifecycle", "Теги": "tags", "Город": NOTE,
           "Страна": "country", "Комментарий": NOTE},
    "uk": {"Ім'я": "first_name", "Прізвище": "last_name", "Електронна пошта": "email", "Телефон": "phone",
           "Компанія": "company", "Посада": "title", "Відповідальний": "owner", "Джерело": "channel",
           "Стадія": "lifecycle", "Мітки": "tags", "Країна": "country", "Примітка": NOTE},
    "bg": {"Име": "first_name", "Фамилия": "last_name", "Имейл": "email", "Мобилен телефон": "phone",
           "Фирма": "company", "Длъжност": "title", "Отговорник": "owner", "Източник": "channel", "Етап": "lifecycle",
           "Етикети": "tags", "Държава": "country", "Бележка": NOTE},
    "ru_fio": {"ФИО": "full_name_lf", "Телефон": "phone", "E-mail": "email", "Организация": "company"},
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_each_crm_export_layout_maps_every_standard_column(layout):
    expected = LAYOUTS[layout]
    assert guess_mapping(list(expected), "contacts") == expected


def test_company_export_layouts_map_to_company_fields():
    hubspot = {"Record ID": NOTE, "Company name": "name", "Company Domain Name": "website", "Industry": "industry",
               "Phone Number": "phone", "City": "city", "Country/Region": "country", "Company owner": "owner",
               "Lifecycle Stage": "lifecycle", "Create Date": NOTE}
    salesforce = {"Id": NOTE, "Name": "name", "Industry": "industry", "Website": "website", "Phone": "phone",
                  "BillingCity": "city", "BillingCountry": "country", "Type": "lifecycle", "Owner.Email": "owner",
                  "AnnualRevenue": NOTE}
    app = {"name": "name", "industry": "industry", "website": "website", "phone": "phone", "city": "city",
           "country": "country", "owner": "owner", "lifecycle": "lifecycle", "tags": "tags"}
    for layout in (hubspot, salesforce, app):
        assert guess_mapping(list(layout), "companies") == layout


def test_salesforce_contacts_import_keeps_every_value(conn, admin):
    """A real-layout row: company created and linked, owner matched by email, a US phone without country
    code read with the mailing country, the rest kept in a note on the contact."""
    raw = _csv([list(LAYOUTS["salesforce_contacts"]),
                ["0035g00000XyZ", "Ms.", "Jane", "Doe", "Acme Corp", "0015g0000", "VP Sales", "jane@acme.example",
                 "(415) 555-0101", "", "1 Market St", "San Francisco", "CA", "94105", "USA", "Web",
                 "ADMIN@test.example", "Met at the fair", "2024-01-05T10:00:00.000Z"]])
    planned, _ = _plan(conn, raw, actor=admin)
    assert planned.new_companies == ["Acme Corp"] and not planned.bad
    done = importer.commit(conn, planned, {}, admin)
    assert done["created"] == 1 and done["companies"] == 1 and done["notes"] == 1
    c = conn.execute("SELECT c.*, co.name AS company FROM contacts c JOIN companies co ON co.id = c.company_id"
                     ).fetchone()
    assert (c["first_name"], c["company"], c["phone"], c["owner_id"]) == ("Jane", "Acme Corp", "+14155550101",
                                                                          admin.id)
    note = _notes(conn)[0]
    for kept in ("Id: 0035g00000XyZ", "MailingStreet: 1 Market St", "MailingCountry: USA", "CreatedDate: 2024-01-05",
                 "Description: Met at the fair", "Salutation: Ms."):
        assert kept in note


def test_cp1252_and_utf16_decode_right_and_report_the_encoding(conn):
    text = "First Name,Last Name,Company\nJosé,Müller,Café Größe\nFrançois,Brûlé,Ænima\n"
    for encoding, expected in (("cp1252", "cp1252"), ("utf-16", "utf-16")):
        table = importer.read(text.encode(encoding), "people.csv")
        assert table.detected == expected and table.encoding == expected
        assert table.headers == ["First Name", "Last Name", "Company"]
        assert table.rows[0] == ["José", "Müller", "Café Größe"]
    assert importer.label("cp1252") == "Windows-1252"


def test_cyrillic_windows_file_and_the_encoding_override(conn):
    raw = "Имя;Фамилия;Эл. почта\nИван;Петров;ivan@x.io\nОльга;Сидоренко;olga@x.io\n".encode("cp1251")
    table = importer.read(raw, "c.csv")
    assert table.encoding == "cp1251" and table.rows[0][:2] == ["Иван", "Петров"]
    forced = importer.read(raw, "c.csv", encoding="cp1252")
    assert forced.encoding == "cp1252" and forced.detected == "cp1251" and forced.rows[0][0] != "Иван"
    with pytest.raises(ValidationError) as err:
        importer.read(raw, "c.csv", encoding="utf-8")
    assert err.value.key == "import.err_decode" and err.value.params["line"] == 1


def test_unterminated_quote_is_flagged_at_its_line(conn, admin):
    raw = b'First Name,Last Name,Email\nAna,Lee,ana@x.io\nBob,"Stone,bob@x.io\nCy,Moss,cy@x.io\nDi,Hart,di@x.io\n'
    planned, table = _plan(conn, raw)
    assert [(p.line, p.column) for p in table.problems] == [(3, "Last Name")]
    assert table.problems[0].error.params == {"field": "file", "first": 4, "end": 5}
    bad = planned.bad
    assert [r.line for r in bad] == [3] and bad[0].problems[0].error.key == "import.err_quote"
    with pytest.raises(ValidationError):
        importer.commit(conn, planned, {}, admin)
    assert _count(conn, "SELECT COUNT(*) FROM contacts") == 0
    done = importer.commit(conn, planned, {}, admin, skip_bad=True)
    assert done["created"] == 1 and done["left_out"] == 1


def test_a_proper_multiline_cell_is_not_flagged(conn):
    raw = b'First Name,Notes,Email\nAna,"line one\nline two",ana@x.io\nBob,,bob@x.io\n'
    table = importer.read(raw, "c.csv")
    assert not table.problems and table.lines == [2, 4]


@pytest.mark.parametrize("policy,created,counted", [("first", 2, ("skipped", 150)), ("merge", 2, ("merged", 150)),
                                                    ("all", 152, ("skipped", 0))])
def test_repeats_inside_the_file_with_each_policy(conn, admin, policy, created, counted):
    lines = [["First Name", "Email", "Job Title", "Tags"], ["Ana", "ana@x.io", "", "vip"]]
    lines += [["Ana", "ANA@x.io", "CEO", f"t{i % 3}"] for i in range(150)] + [["Bob", "bob@x.io", "", ""]]
    planned, _ = _plan(conn, _csv(lines), policy=policy)
    assert len(planned.repeats) == 150 and not planned.bad
    done = importer.commit(conn, planned, {}, admin)
    assert done["created"] == created and done[counted[0]] == counted[1]
    ana = conn.execute("SELECT title, tags FROM contacts WHERE email = 'ana@x.io' ORDER BY id").fetchone()
    if policy == "merge":
        assert (ana["title"], ana["tags"]) == ("CEO", "vip,t0,t1,t2")
    elif policy == "first":
        assert (ana["title"], ana["tags"]) == (None, "vip")


@pytest.mark.parametrize("raw,name,key_", [
    (bytes(range(256)) * 40, "photo.csv", "import.err_binary"),
    (b"\x89PNG\r\n\x1a\n" + bytes(300), "x.csv", "import.err_binary"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(300), "old.xls", "import.err_xls"),
    (b"PK\x03\x04 not really a workbook", "book.xlsx", "import.err_excel"),
    (b"First Name,Email\n", "c.csv", "import.err_no_rows"),
    (b"First Name,Email\n,\n\n", "c.csv", "import.err_no_rows"),
    (b"", "c.csv", "import.err_empty"),
])
def test_unreadable_and_empty_files_give_a_clear_message(raw, name, key_):
    with pytest.raises(ValidationError) as err:
        importer.read(raw, name)
    assert err.value.key == key_
    text = err.value.message
    assert "Error" not in text and "/" not in text and "Traceback" not in text


def test_hubspot_lifecycle_values_go_through_the_value_step(conn, admin):
    raw = _csv([["First Name", "Email", "Lifecycle Stage", "Original Source"],
                ["A", "a@x.io", "opportunity", "ORGANIC_SEARCH"], ["B", "b@x.io", "salesqualifiedlead", "Offline"],
                ["C", "c@x.io", "marketingqualifiedlead", "PAID_SOCIAL"], ["D", "d@x.io", "evangelist", ""],
                ["E", "e@x.io", "other", ""], ["F", "f@x.io", "Customer", ""], ["G", "g@x.io", "zombie", ""]])
    table = importer.read(raw, "hs.csv")
    mapping = importer.guess_mapping(table.headers)
    offered = importer.choice_values(conn, table, mapping)
    life = {v["value"]: (v["suggested"], v["known"]) for v in offered["lifecycle"]}
    assert life == {"opportunity": ("prospect", True), "salesqualifiedlead": ("prospect", True),
                    "marketingqualifiedlead": ("lead", True), "evangelist": ("customer", True),
                    "other": ("lead", True), "Customer": ("customer", True), "zombie": ("lead", False)}
    channel = {v["value"]: (v["suggested"], v["known"]) for v in offered["channel"]}
    assert channel == {"ORGANIC_SEARCH": ("organic search", True), "Offline": ("Offline", False),
                       "PAID_SOCIAL": ("social", True)}
    planned = importer.plan(conn, table, mapping, values={"lifecycle": {"zombie": "churned"},
                                                          "channel": {"Offline": "events"}})
    assert not planned.bad
    importer.commit(conn, planned, {}, admin)
    got = dict(conn.execute("SELECT first_name, lifecycle FROM contacts").fetchall())
    assert got == {"A": "prospect", "B": "prospect", "C": "lead", "D": "customer", "E": "lead", "F": "customer",
                   "G": "churned"}
    assert conn.execute("SELECT channel FROM contacts WHERE first_name = 'B'").fetchone()[0] == "events"
    assert any("Lifecycle Stage: opportunity" in n for n in _notes(conn))  # the original value is kept


def test_companies_matched_ignoring_case_and_spaces_missing_ones_created(conn, admin):
    acme = records.create(conn, "companies", {"name": "Acme  GmbH"}, admin)
    raw = _csv([["First Name", "Company"], ["A", "acme gmbh"], ["B", " ACME GMBH "], ["C", "Globex"],
                ["D", "globex"], ["E", "Initech Ltd"], ["F", ""]])
    planned, _ = _plan(conn, raw)
    assert planned.new_companies == ["Globex", "Initech Ltd"]
    done = importer.commit(conn, planned, {}, admin)
    assert done["companies"] == 2 and done["created"] == 6
    linked = dict(conn.execute("SELECT c.first_name, co.name FROM contacts c LEFT JOIN companies co "
                               "ON co.id = c.company_id").fetchall())
    assert linked == {"A": "Acme  GmbH", "B": "Acme  GmbH", "C": "Globex", "D": "Globex", "E": "Initech Ltd",
                      "F": None}
    assert _count(conn, "SELECT COUNT(*) FROM companies") == 3
    assert _count(conn, "SELECT COUNT(*) FROM contacts WHERE company_id = ?", acme) == 2


def test_ten_thousand_rows_with_a_company_column_all_linked(conn, admin):
    lines = [["First Name", "Last Name", "Email", "Company"]]
    lines += [[f"P{i}", f"L{i}", f"p{i}@bulk.io", f"Company {i % 500}"] for i in range(10_000)]
    started = time.perf_counter()
    planned, _ = _plan(conn, _csv(lines))
    planned_at = time.perf_counter()
    done = importer.commit(conn, planned, {}, admin)
    assert done == {**done, "created": 10_000, "companies": 500}
    assert _count(conn, "SELECT COUNT(*) FROM contacts WHERE company_id IS NULL") == 0
    print(f"10,000 rows: plan {planned_at - started:.2f} s, commit {time.perf_counter() - planned_at:.2f} s")


def test_unused_columns_are_reported_and_kept_in_a_note(conn, admin):
    raw = _csv([["First Name", "Favourite colour", "Shoe size", "Ignore me"], ["Ana", "teal", "38", "x"],
                ["Bob", "", "", ""]])
    table = importer.read(raw, "c.csv")
    mapping = importer.guess_mapping(table.headers)
    mapping["Ignore me"] = None  # the user's explicit choice
    planned = importer.plan(conn, table, mapping)
    assert planned.kept == ["Favourite colour", "Shoe size"] and planned.skipped == ["Ignore me"]
    done = importer.commit(conn, planned, {}, admin, note_subject="Imported from c.csv")
    assert done["notes"] == 1  # Bob has nothing to keep
    note = conn.execute("SELECT a.subject, a.notes, c.first_name FROM activities a JOIN contacts c "
                        "ON c.id = a.contact_id").fetchone()
    assert tuple(note) == ("Imported from c.csv", "Favourite colour: teal\nShoe size: 38", "Ana")


def _xlsx(rows, formulas=()):
    book = Workbook()
    sheet = book.active
    for r in rows:
        sheet.append(r)
    for ref, formula in formulas:
        sheet[ref] = formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_excel_formula_cells_and_text_that_looks_like_a_formula(conn, admin):
    raw = _xlsx([["First Name", "Last Name", "Job Title", "Phone"], ["Zoe", "Quinn", None, 4930123456],
                 ["Max", None, "=CEO", "+49 30 7654321"]], formulas=[("C2", "=\"Head\"&\" of sales\""),
                                                                   ("B3", "=UPPER(\"x\")")])
    # openpyxl writes formulas without a cached value (never calculated): the formula text comes back
    table = importer.read(raw, "people.xlsx")
    assert table.encoding == "Excel"
    assert table.rows[0] == ["Zoe", "Quinn", '="Head"&" of sales"', "4930123456"]
    assert table.rows[1][1] == '=UPPER("x")' and table.rows[1][2] == "=CEO"


def test_excel_cached_formula_values_are_used(conn):
    raw = _xlsx([["First Name", "Job Title"], ["Zoe", None]], formulas=[("B2", "=1+1")])
    # Put a cached value in, as Excel would after calculating.
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<f>1+1</f><v></v>", b"<f>1+1</f><v>2</v>").replace(b"<f>1+1</f>",
                                                                                        b"<f>1+1</f><v>2</v>")
            dst.writestr(item, data)
    table = importer.read(out.getvalue(), "calc.xlsx")
    assert table.rows[0] == ["Zoe", "2"]


def test_csv_cells_guarded_by_the_export_are_restored(conn, admin):
    raw = (b"first_name,last_name,title,tags\n'=Ana,'+Lee,'-head of ops,'@team\nBob,'plain,\"'=\"\"x\"\"\",\n"
           )
    table = importer.read(raw, "contacts.csv")
    assert table.rows == [["=Ana", "+Lee", "-head of ops", "@team"], ["Bob", "'plain", '="x"', ""]]


def test_round_trip_of_the_apps_own_export_columns(conn, admin, manager):
    """The contacts export's columns come back: fields, company link, tags, owner by name, lifecycle."""
    raw = _csv([["id", "first_name", "last_name", "email", "phone", "title", "company", "owner", "lifecycle",
                 "channel", "campaign", "tags", "created_at"],
                ["7", "'=Ana", "Lee", "ana@x.io", "+4930123456", "CTO", "Acme", manager.name, "customer",
                 "referral", "", "vip,trial", "2026-01-02 10:00:00"]])
    planned, _ = _plan(conn, raw, actor=admin)
    assert not planned.bad, [p.error.message for r in planned.bad for p in r.problems]
    importer.commit(conn, planned, {}, admin)
    c = conn.execute("SELECT c.*, co.name AS company FROM contacts c JOIN companies co ON co.id = c.company_id"
                     ).fetchone()
    assert (c["first_name"], c["last_name"], c["email"], c["phone"], c["title"], c["company"], c["owner_id"],
            c["lifecycle"], c["channel"], c["tags"]) == ("=Ana", "Lee", "ana@x.io", "+4930123456", "CTO", "Acme",
                                                         manager.id, "customer", "referral", "vip,trial")


def test_company_import_matches_creates_and_updates(conn, admin):
    acme = records.create(conn, "companies", {"name": "ACME GmbH", "city": "Berlin"}, admin)
    raw = _csv([["Company name", "Industry", "City", "Country/Region", "Company Domain Name", "Company owner",
                 "Lifecycle Stage", "Record ID"],
                ["acme gmbh", "Tools", "Berlin", "Germany", "acme.example", "admin@test.example", "customer", "1"],
                ["Globex", "Energy", "Springfield", "USA", "globex.example", "Nobody Known", "opportunity", "2"],
                ["globex", "", "", "", "", "", "", "3"]])
    planned, _ = _plan(conn, raw, target="companies", actor=admin)
    assert [(r.line, r.reason) for r in planned.existing] == [(2, "name")]
    assert len(planned.repeats) == 1 and planned.unknown_owners == {"Nobody Known": 1}
    done = importer.commit(conn, planned, {2: "update"}, admin)
    assert (done["created"], done["updated"], done["merged"]) == (1, 1, 1)
    assert records.get(conn, "companies", acme)["industry"] == "Tools"
    globex = conn.execute("SELECT * FROM companies WHERE name = 'Globex'").fetchone()
    assert (globex["country"], globex["website"], globex["lifecycle"]) == ("US", "https://globex.example",
                                                                          "prospect")
    assert any("Company owner: Nobody Known" in n for n in _notes(conn))


def test_bad_rows_are_reported_at_line_and_column_and_nothing_is_written(conn, admin):
    raw = (b"First Name,Email,Phone\nAna,ana@x.io,+49 30 1234567\n,nobody@x.io,\nBob,not-an-email,\n"
           b"Cy,cy@x.io,+1 415 555 0101,extra\n<script>alert(1)</script>,s@x.io,12\n")
    planned, _ = _plan(conn, raw)
    problems = {r.line: [(p.column, p.error.key) for p in r.problems] for r in planned.bad}
    assert problems == {3: [("First Name", "contacts.err_first_name")], 4: [("Email", "errors.email_invalid")],
                        5: [("", "import.err_cells")], 6: [("Phone", "contacts.err_phone")]}
    with pytest.raises(ValidationError):
        importer.commit(conn, planned, {}, admin)
    assert _count(conn, "SELECT COUNT(*) FROM contacts") == 0


def test_duplicates_of_existing_contacts_can_be_skipped_updated_or_created(conn, admin):
    a = records.create(conn, "contacts", {"first_name": "Ana", "email": "ana@x.io"}, admin)
    records.create(conn, "contacts", {"first_name": "Bob", "phone": "+49301234567"}, admin)
    raw = b"First Name,Email,Phone,Job Title\nAna,ANA@x.io,,CEO\nBobby,,+49 30 1234567,\nNew,new@x.io,,\n"
    planned, _ = _plan(conn, raw)
    assert [(r.line, r.reason) for r in planned.existing] == [(2, "email"), (3, "phone")]
    done = importer.commit(conn, planned, {2: "update", 3: "skip"}, admin)
    assert (done["created"], done["updated"], done["skipped"]) == (1, 1, 1)
    assert records.get(conn, "contacts", a)["title"] == "CEO"


def test_a_rep_cannot_hand_imported_contacts_to_someone_else(conn, admin, rep):
    raw = _csv([["First Name", "Owner"], ["Ana", admin.name], ["Bob", rep.name]])
    planned, _ = _plan(conn, raw, actor=rep)
    assert planned.unknown_owners == {admin.name: 1}
    importer.commit(conn, planned, {}, rep)
    assert {r[0] for r in conn.execute("SELECT owner_id FROM contacts")} == {rep.id}


def test_missing_name_column_is_refused(conn):
    table = importer.read(b"Email\nx@y.io\n", "c.csv")
    with pytest.raises(ValidationError, match="First name"):
        importer.plan(conn, table, importer.guess_mapping(table.headers))


def test_header_and_value_keys():
    assert key("Ім'я") == "ім я" and key("emailAddress", camel=True) == "email address"
    assert key("Account.Name", camel=True) == "account name" and key(" Acme  GmbH ") == "acme gmbh"


def test_full_name_and_fio_are_split(conn, admin):
    planned, _ = _plan(conn, _csv([["ФИО", "Телефон"], ["Петров Иван Сергеевич", "+7 495 123-45-67"]]))
    assert (planned.rows[0].values["last_name"], planned.rows[0].values["first_name"]) == ("Петров", "Иван Сергеевич")
    planned, _ = _plan(conn, _csv([["Full Name", "Email"], ["Mary Ann Smith", "m@x.io"]]))
    assert (planned.rows[0].values["first_name"], planned.rows[0].values["last_name"]) == ("Mary", "Ann Smith")


def test_excel_text_cells_that_start_like_formulas_come_back_verbatim(conn, admin):
    """The export writes such values as plain string cells; the import must not lose or change them."""
    book = Workbook()
    sheet = book.active
    sheet.append(["first_name", "title", "tags"])
    sheet.append(["Ana", None, None])
    for ref, text in (("B2", "=HYPERLINK(\"x\")"), ("C2", "@team")):
        sheet[ref] = text
        sheet[ref].data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    table = importer.read(buffer.getvalue(), "contacts.xlsx")
    assert table.rows == [["Ana", '=HYPERLINK("x")', "@team"]]


@pytest.mark.parametrize("lang", ["en", "ru", "uk", "bg"])
def test_the_apps_own_translated_column_labels_map_back(lang):
    """An export with headers in the user's language is a layout too."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "locales" / lang
    people = json.loads((root / "contacts.json").read_text(encoding="utf-8"))
    firms = json.loads((root / "companies.json").read_text(encoding="utf-8"))
    fields = {"first_name": "first_name", "last_name": "last_name", "email": "email", "phone": "phone",
              "title": "title", "company": "company", "owner": "owner", "lifecycle": "lifecycle",
              "channel": "channel", "campaign": "campaign", "tags": "tags"}
    assert guess_mapping([people[k] for k in fields], "contacts") == {people[k]: v for k, v in fields.items()}
    company_fields = {"name": "name", "industry": "industry", "city": "city", "country": "country",
                      "website": "website"}
    assert guess_mapping([firms[k] for k in company_fields], "companies") == {
        firms[k]: v for k, v in company_fields.items()}
    from db.io.import_map import suggest

    for value in ("lead", "prospect", "customer", "churned"):
        assert suggest("lifecycle", people[f"lifecycle_{value}"], ["lead", "prospect", "customer", "churned"]) == (
            value, True)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_of_the_contacts_export_into_an_empty_database(seeded_conn, tmp_path, fmt):
    """Export every contact as the contacts page does, import into an empty database with the same team:
    each field, the company link, the tags and the owner come back equal."""
    from db.core.connection import connect
    from db.core.migrations import migrate
    from db.core.permissions import SYSTEM, Actor
    from db.crm import contacts
    from db.io import export

    rows = contacts.export_rows(seeded_conn, contacts.Query())
    raw = export.to_csv(rows) if fmt == "csv" else export.to_xlsx(rows, sheet="contacts")
    target = connect(tmp_path / "empty.db")
    migrate(target)
    for u in seeded_conn.execute("SELECT name, email, role, password_hash FROM users ORDER BY id"):
        records.create(target, "users", dict(u), SYSTEM)
    admin_id = target.execute("SELECT id FROM users WHERE role = 'admin' ORDER BY id").fetchone()[0]
    actor = Actor(admin_id, "admin", "admin")
    table = importer.read(raw, f"contacts.{fmt}")
    planned = importer.plan(target, table, importer.guess_mapping(table.headers), policy="all", actor=actor)
    assert not planned.bad
    importer.commit(target, planned, {}, actor)
    columns = ("first_name", "last_name", "email", "phone", "title", "company", "owner", "lifecycle", "channel", "tags")

    def everyone(c):
        out = []
        for r in contacts.export_rows(c, contacts.Query()):
            out.append(tuple("" if r[k] is None else r[k] for k in columns))
        return sorted(out)

    before, after = everyone(seeded_conn), everyone(target)
    assert len(after) == len(before) > 40 and after == before
    target.close()


def test_a_parser_failure_becomes_a_plain_message(monkeypatch):
    """Whatever a parser trips over in a hostile file, the page gets a sentence, not a traceback."""
    from db.io import import_read

    def boom(*_args):
        raise RuntimeError("/srv/app/.venv/lib/python3.11/site-packages/csv.py exploded")

    monkeypatch.setattr(import_read, "_csv", boom)
    with pytest.raises(ValidationError) as err:
        importer.read(b"a,b\n1,2\n", "x.csv")
    assert err.value.key == "import.err_unreadable" and "/" not in err.value.message


def test_unterminated_quote_on_the_last_lines(conn):
    raw = b'First Name,Last Name\nAna,Lee\nBob,"Stone\nCy Moss\n'
    table = importer.read(raw, "c.csv")
    assert [(p.line, p.column, p.error.params["first"], p.error.params["end"]) for p in table.problems] == [
        (3, "Last Name", 4, 4)]
    table = importer.read(b'First Name,Last Name\nAna,Lee\nBob,"Stone\n', "c.csv")
    assert not table.problems and table.rows[-1][1].strip() == "Stone"


def test_no_company_is_created_for_skipped_or_bad_rows(conn, admin):
    records.create(conn, "contacts", {"first_name": "Ana", "email": "ana@x.io"}, admin)
    raw = _csv([["First Name", "Email", "Company"], ["Ana", "ana@x.io", "Skipped Co"], ["", "bad@x.io", "Bad Co"],
                ["Bob", "bob@x.io", "Kept Co"]])
    planned, _ = _plan(conn, raw)
    assert planned.new_companies == ["Skipped Co", "Kept Co"]  # Skipped Co only if its row is imported:
    assert planned.companies_to_create({}) == ["Kept Co"] and len(planned.companies_to_create({2: "update"})) == 2
    done = importer.commit(conn, planned, {2: "skip"}, admin, skip_bad=True)
    assert done["companies"] == 1
    assert [r[0] for r in conn.execute("SELECT name FROM companies")] == ["Kept Co"]


def test_the_upload_limit_and_the_import_limit_agree():
    """The page refuses nothing the importer would take: a 100,000-row file fits both limits."""
    import tomllib

    from db.io import import_read

    config = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == import_read.MAX_MB
    assert import_read.MAX_ROWS >= 100_000
