"""Adding rows in the grids that keep an add row (campaigns, stages): defaults, blank rows, missing fields."""

import streamlit as st

from components.grid import new_rows
from db.core import settings
from db.core.connection import connect
from tests.apptest import page, texts

CONFIG = {"name": st.column_config.TextColumn("Name", required=True),
          "channel": st.column_config.SelectboxColumn("Channel", options=["Email", "Ads"], required=True,
                                                      default="Email"),
          "budget": st.column_config.NumberColumn("Budget")}


def test_new_rows_fill_defaults_drop_blank_rows_and_name_the_missing_field():
    added = [{"name": "Spring", "budget": 10}, {}, {"channel": "Email", "name": None}, {"budget": 5},
             {"name": "Autumn", "channel": "Ads"}]
    rows, problems = new_rows(added, CONFIG, first_row=7)
    assert rows == [{"channel": "Email", "name": "Spring", "budget": 10}, {"channel": "Ads", "name": "Autumn"}]
    # Rows 9 and 10 are Enter's blank row and a row holding only the default: dropped, not saved, not blamed.
    assert problems == ["Row 11 (new): Name is missing. Fill it in or delete the row, then save."]


def _campaigns_with(path, added):
    at = page("pages/campaigns.py", path, "manager")
    at.run()
    at.session_state["campaigns_grid"] = {"edited_rows": {}, "added_rows": added, "deleted_rows": []}
    at.run()
    return at


def test_half_filled_campaign_row_is_named_at_the_row_and_blocks_the_save(seeded):
    path = seeded[0]
    shown = connect(path).execute("SELECT COUNT(*) FROM campaigns WHERE deleted_at IS NULL").fetchone()[0]
    at = _campaigns_with(path, [{"budget": 500}, {}])
    assert f"Row {shown + 1} (new): Campaign is missing" in texts(at)
    assert at.button(key="camp_save").disabled


def test_new_campaign_row_takes_the_default_channel_and_a_blank_row_is_not_saved(seeded):
    path = seeded[0]
    c = connect(path)
    before = c.execute("SELECT COUNT(*) FROM campaigns").fetchone()[0]
    at = _campaigns_with(path, [{"name": "Grid launch"}, {}])
    assert at.button(key="camp_save").label == "Save 1 change"
    at.button(key="camp_save").click().run()
    assert not at.exception
    assert c.execute("SELECT COUNT(*) FROM campaigns").fetchone()[0] == before + 1
    channel = c.execute("SELECT channel FROM campaigns WHERE name = 'Grid launch'").fetchone()[0]
    assert channel == settings.get(c, "channels")[0]
