"""The deals forecast chart (a Vega-Lite spec, pure): weighted pipeline per month, stacked by owner."""

from components.charts import PALETTE
from components.deals_view import forecast_chart

POINTS = [{"month": "2026-12", "owner": "Rob Rep", "weighted": 500.0},
          {"month": "2027-01", "owner": "Ann <b>Admin</b>", "weighted": 250.0},
          {"month": "2027-01", "owner": "Rob Rep", "weighted": 125.0}]


def test_forecast_stacks_each_month_by_owner_in_the_palette():
    spec = forecast_chart(POINTS).to_dict()
    enc = spec["encoding"]
    assert spec["mark"]["type"] == "bar"
    assert (enc["x"]["field"], enc["y"]["aggregate"], enc["y"]["field"]) == ("month", "sum", "weighted")
    # owners in name order, each with the palette colour the plotly version gave it
    assert enc["color"]["scale"] == {"domain": ["Ann <b>Admin</b>", "Rob Rep"], "range": PALETTE[:2]}
    assert spec["data"]["values"] == POINTS


def test_owner_names_stay_data_values():
    """A name is a value in the data, drawn as chart text, never markup in a title or label."""
    spec = forecast_chart(POINTS).to_dict()
    assert "<b>" not in str({k: v for k, v in spec.items() if k != "data" and k != "encoding"})
    assert all("<" not in str(item.get("title")) for item in spec["encoding"]["tooltip"])
