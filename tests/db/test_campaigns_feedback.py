import pytest

from db.core import records
from db.core.errors import ValidationError
from db.crm import campaigns, feedback
from tests.apptest import said as error_text

CHANNELS = ["email", "events"]



def test_campaign_results_by_hand(conn, admin):
    # Spend 1000; leads: 3 contacts; customers: 2 (acquired); won deals 600 (cost 200) + 400 (cost 100):
    # margin 700 -> ROI (700 - 1000) / 1000 = -0.3; CAC 1000 / 2 = 500.
    x = conn.execute
    x("INSERT INTO campaigns (id, name, channel, spend) VALUES (1, 'Spring', 'email', 1000), (2, 'Idle', 'events', 0)")
    x("INSERT INTO contacts (id, first_name, campaign_id, acquired_at) VALUES (1, 'a', 1, '2026-01-01'), "
      "(2, 'b', 1, '2026-02-01'), (3, 'c', 1, NULL)")
    x("INSERT INTO pipelines (id, name, kind) VALUES (1, 'S', 'sales')")
    x("INSERT INTO stages (id, pipeline_id, name, kind, probability) VALUES (1, 1, 'Won', 'won', 1)")
    x("INSERT INTO deals (pipeline_id, stage_id, title, contact_id, amount, cost, closed_at) VALUES "
      "(1, 1, 'x', 1, 600, 200, '2026-01-01'), (1, 1, 'y', 2, 400, 100, '2026-02-01')")
    got = {r["name"]: r for r in campaigns.results(conn)}
    spring = got["Spring"]
    assert (spring["leads"], spring["customers"], spring["revenue"], spring["margin"]) == (3, 2, 1000, 700)
    assert spring["roi"] == pytest.approx(-0.3) and spring["cac"] == pytest.approx(500)
    assert got["Idle"]["roi"] is None and got["Idle"]["cac"] is None


@pytest.mark.parametrize("diff,field", [({"name": " "}, "name"), ({"channel": "tv"}, "channel"),
                                        ({"spend": -5}, "spend"), ({"ends_on": "2026-01-01"}, "ends_on")])
def test_campaign_edits_are_validated(conn, admin, diff, field):
    cid = records.create(conn, "campaigns", {"name": "C", "channel": "email", "starts_on": "2026-02-01"}, admin)
    original = {**records.get(conn, "campaigns", cid)}
    with pytest.raises(ValidationError) as err:
        campaigns.save_grid(conn, [(original, diff)], [], CHANNELS, admin)
    assert err.value.field == field and err.value.row == 1


def test_record_feedback_checks_ranges_and_dates(conn, admin):
    cid = records.create(conn, "contacts", {"first_name": "Ana", "email": "ana@x.io"}, admin)
    feedback.record(conn, cid, "nps", "10", "2026-01-05", "great", admin)
    for kind, score, when in (("csat", 0, "2026-01-01"), ("nps", 11, "2026-01-01"), ("csat", "x", "2026-01-01"),
                              ("csat", 3, "2999-01-01"), ("stars", 3, "2026-01-01"), ("csat", 3, "yesterday")):
        with pytest.raises(ValidationError):
            feedback.record(conn, cid, kind, score, when, "", admin)
    assert conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 1


def test_csv_import_is_all_or_nothing(conn, admin):
    records.create(conn, "contacts", {"first_name": "Ana", "email": "ana@x.io"}, admin)
    good = b"email,kind,score,date,comment\nana@x.io,csat,5,2026-01-01,ok\nANA@x.io,nps,9,2026-01-02,\n"
    bad = good + b"nobody@x.io,csat,5,2026-01-01,\nana@x.io,csat,9,2026-01-01,\n"
    count, problems = feedback.import_csv(conn, bad, admin)
    assert count == 0 and len(problems) == 2 and error_text(problems[0], "en").startswith("Row 4: ")
    assert conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 0
    assert feedback.import_csv(conn, good, admin) == (2, [])
    assert [error_text(p, "en") for p in feedback.import_csv(conn, b"email,email,kind,score,date\n", admin)[1]] == [
        "Two columns have the same name."]
    assert error_text(feedback.import_csv(conn, b"email,kind\n", admin)[1][0], "en") == \
        "The file needs the columns date, score."
    cp1251 = "email,kind,score,date,comment\nana@x.io,csat,4,2026-01-03,Привет\n".encode("cp1251")
    assert feedback.import_csv(conn, cp1251, admin) == (1, [])
