from db.core.connection import connect
from db.crm import views
from tests.apptest import page, texts, user_id


def test_builder_saves_a_view_that_opens_by_url(seeded):
    path = seeded[0]
    at = page("pages/views.py", path, "manager")
    at.run()
    assert not at.exception
    at.selectbox(key="vb_record").select("deals").run()
    at.selectbox(key="vb_group").select("stage").run()
    at.main.text_input[-1].input("Deals per stage")  # the sidebar has the search box
    next(b for b in at.button if b.label == "Save view").click().run()
    assert not at.exception
    saved = [v for v in views.visible(connect(path), user_id(path, "manager"), "views") if v["name"] == "Deals per stage"]
    assert saved
    again = page("pages/views.py", path, "manager", query={"view": saved[0]["id"]})
    again.run()
    assert not again.exception and "Deals per stage" in texts(again)


def test_a_view_saved_by_a_newer_version_says_so(seeded):
    path = seeded[0]
    c = connect(path)
    uid = user_id(path, "manager")
    c.execute("INSERT INTO saved_views (name, owner_id, page, definition) VALUES ('Future', ?, 'views', "
              "'{\"schema\": 9, \"record\": \"deals\"}')", (uid,))
    vid = c.execute("SELECT id FROM saved_views WHERE name = 'Future'").fetchone()[0]
    at = page("pages/views.py", path, "manager", query={"view": vid})
    at.run()
    assert not at.exception and "newer version" in texts(at)


def _deal_fields(path):
    """A choice and a number field on deals, values on three deals (through the real write path)."""
    from db.core import fields, records
    from db.core.permissions import Actor

    c = connect(path)
    admin = Actor(user_id(path, "admin"), "admin", "Admin")
    tier = fields.define(c, "deals", {"type": "choice", "labels": {"en": "Tier", "ru": "Уровень"},
                                      "options": ["Gold", "Silver"]}, admin)
    seats = fields.define(c, "deals", {"type": "number", "label": "Seats"}, admin)
    secret = fields.define(c, "deals", {"type": "money", "label": "Floor price", "view_roles": ["manager"]}, admin)
    ids = [r[0] for r in c.execute("SELECT id FROM deals WHERE deleted_at IS NULL ORDER BY id LIMIT 3")]
    for deal, (t, s) in zip(ids, [("Gold", 10), ("Gold", 5), ("Silver", 7)], strict=True):
        row = records.get(c, "deals", deal)
        records.update(c, "deals", deal, row["version"], {tier.column: t, seats.column: s, secret.column: 1}, admin)
    return c, tier, seats, secret


def test_builder_groups_by_a_custom_choice_and_sums_a_custom_number(seeded):
    path = seeded[0]
    _deal_fields(path)
    at = page("pages/views.py", path, "manager")
    at.run()
    at.selectbox(key="vb_group").select("cf:tier").run()
    at.selectbox(key="vb_measure").select(("sum", "cf:seats")).run()
    at.segmented_control(key="vb_display").set_value("table").run()
    assert not at.exception
    assert "Tier" in at.selectbox(key="vb_group").options and "Sum of Seats" in at.selectbox(key="vb_measure").options
    table = at.dataframe[0].value
    totals = dict(zip(table["label"], table["value"], strict=True))
    assert totals["Gold"] == 15 and totals["Silver"] == 7


def test_a_shared_pinned_view_hides_a_managers_field_from_a_rep(seeded):
    path = seeded[0]
    c, tier, _seats, secret = _deal_fields(path)
    from db.core.permissions import Actor

    manager = Actor(user_id(path, "manager"), "manager", "M")
    views.save(c, "Floor by tier", "views", {"schema": 1, "record": "deals", "group": "cf:tier", "display": "table",
                                              "measure": {"kind": "sum", "field": "cf:floor_price"}}, manager,
               shared=True, pinned=True)
    at = page("app.py", path, "rep")
    at.run()
    assert not at.exception
    assert "not shown to you" in texts(at) and "Floor price" not in texts(at)
    table = at.dataframe[-1].value
    assert dict(zip(table["label"], table["value"], strict=True))["Gold"] == 2  # counted, not summed
    assert secret.key == "floor_price" and tier.key == "tier"


def test_builder_lists_records_with_custom_columns(seeded):
    path = seeded[0]
    _deal_fields(path)
    at = page("pages/views.py", path, "manager")
    at.run()
    at.selectbox(key="vb_group").select_index(0).run()
    at.multiselect(key="vb_columns").select("cf:tier").select("cf:seats").run()
    assert not at.exception
    assert "Floor price" in at.multiselect(key="vb_columns").options  # a manager may see it
    table = at.dataframe[0].value
    assert {"label", "cf:tier", "cf:seats"} <= set(table.columns)
    assert sorted(v for v in table["cf:seats"] if v == v and v is not None) == [5, 7, 10]


def test_a_view_and_segments_draw_their_charts_from_the_figures_they_show(seeded):
    """The builder's bar preview and the segments page's two charts are Vega-Lite charts of the same rows."""
    import json

    import pyarrow as pa

    from tests.pages.test_dashboard import title

    def drawn(at) -> list[tuple[str, list[dict]]]:
        return [(title(json.loads(c.proto.spec)), pa.ipc.open_stream(c.proto.data.data).read_all().to_pylist())
                for c in at.get("vega_lite_chart")]

    path = seeded[0]
    at = page("pages/views.py", path, "manager")
    at.run()
    at.selectbox(key="vb_group").select("stage").run()
    at.segmented_control(key="vb_display").set_value("bar").run()
    assert not at.exception and not at.get("plotly_chart")
    (_, rows), = drawn(at)
    from db.core.permissions import Actor

    manager = Actor(user_id(path, "manager"), "manager", "M")
    result = views.run(connect(path), {"schema": 1, "record": "deals", "filters": [], "group": "stage",
                                       "measure": {"kind": "count"}, "display": "bar", "limit": 100}, manager)
    assert [(r["label"], r["value"]) for r in rows] == [(r["label"], r["value"]) for r in result] and rows
    at = page("pages/segments.py", path, "manager")
    at.run()
    assert not at.exception
    charts = dict(drawn(at))
    table = at.dataframe[0].value
    abc = charts["Customers per ABC segment"]
    assert [(r["label"], r["value"]) for r in abc] == list(zip(table["Segment"], table["Customers"], strict=True))
    assert "RFM recency scores (5 = bought most recently)" in charts
