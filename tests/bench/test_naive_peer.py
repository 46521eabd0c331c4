"""The naive peer of bench/side_by_side.py: its pages run without an exception on a real database, show
every contact and the main pipeline's stages, and its dashboard cards are the CRM's own figures (so the
side by side compares the same output)."""

from __future__ import annotations

import sys
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from db.analytics.kpi import summary
from db.core.connection import connect
from db.core.filters import Filters, period
from db.io.seed import seed
from tests.conftest import ROOT

NAIVE = ROOT / "bench" / "naive"


@pytest.fixture(scope="module")
def today_db(tmp_path_factory):
    """A tiny database seeded up to the 28th of this month (the naive dashboard shows the current month, as
    the CRM's: a month with data in it)."""
    path = tmp_path_factory.mktemp("naive") / "crm.db"
    conn = connect(path)
    seed(conn, "tiny", 3, date.today().replace(day=28))
    conn.close()
    return path


@pytest.fixture
def naive(today_db, monkeypatch):
    """Run a naive page over the tiny database (``cache``: NAIVE_CACHE=1)."""
    monkeypatch.setenv("NAIVE_DB", str(today_db))
    monkeypatch.syspath_prepend(str(NAIVE))

    def run(page: str, cache: bool = False) -> AppTest:
        monkeypatch.setenv("NAIVE_CACHE", "1" if cache else "0")
        sys.modules.pop("naive_data", None)  # it reads NAIVE_CACHE when imported
        at = AppTest.from_file(str(NAIVE / "views" / f"{page}.py"), default_timeout=30).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    yield run
    sys.modules.pop("naive_data", None)


@pytest.mark.parametrize("cache", [False, True])
def test_contacts_grid_holds_every_contact(naive, today_db, cache):
    at = naive("contacts", cache)
    conn = connect(today_db)
    live = conn.execute("SELECT COUNT(*) FROM contacts WHERE deleted_at IS NULL").fetchone()[0]
    conn.close()
    assert len(at.dataframe[0].value) == live


def test_deals_board_has_a_column_per_stage_of_the_main_pipeline(naive, today_db):
    at = naive("deals")
    conn = connect(today_db)
    names = [r[0] for r in conn.execute("SELECT s.name FROM stages s JOIN pipelines p ON p.id = s.pipeline_id "
                                        "WHERE p.kind = 'sales' AND s.deleted_at IS NULL ORDER BY p.position, "
                                        "p.id, s.position, s.id")]
    conn.close()
    assert [h.value for h in at.subheader] == names[:len(at.subheader)] and len(at.subheader) >= 4


def test_calendar_page_runs(naive):
    naive("calendar")


def test_dashboard_cards_are_the_crms_figures(naive, today_db):
    at = naive("dashboard")
    conn = connect(today_db)
    start, end = period("month", date.today())
    crm = summary(conn, Filters(start=start, end=end))
    conn.close()
    shown = {m.label: m.value for m in at.metric}
    assert len(shown) == 10 and sum(crm[k] is not None for k in ("nps", "win_rate", "profit", "csat")) >= 2
    for label, key, fmt in (("NPS", "nps", "{:.1f}"), ("Win rate", "win_rate", "{:.1%}"),
                            ("Weighted pipeline", "weighted", "€{:,.0f}"), ("Customer profit", "profit", "€{:,.0f}"),
                            ("LTV:CAC", "ltv_cac", "{:.2f}"), ("CSAT", "csat", "{:.1%}")):
        assert shown[label] == ("—" if crm[key] is None else fmt.format(crm[key])), label
