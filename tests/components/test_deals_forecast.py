"""The deals forecast chart (a Vega-Lite spec, pure): weighted pipeline per month, stacked by owner."""

from components.charts import PALETTE, forecast

POINTS = [{"month": "2026-12", "owner": "Rob Rep", "weighted": 500.0},
          {"month": "2027-01", "owner": "Ann <b>Admin</b>", "weighted": 250.0},
          {"month": "2027-01", "owner": "Rob Rep", "weighted": 125.0}]


def _chart() -> dict:
    return forecast(POINTS, "Expected close", "Owner", "Weighted")


def test_forecast_stacks_each_month_by_owner_in_the_palette():
    spec = _chart()  # valid Vega-Lite: tests/components/test_charts.py checks every builder
    enc = spec["encoding"]
    assert spec["mark"]["type"] == "bar"
    assert (enc["x"]["field"], enc["y"]["aggregate"], enc["y"]["field"]) == ("month", "sum", "weighted")
    assert enc["color"]["scale"] == {"domain": ["Ann <b>Admin</b>", "Rob Rep"], "range": PALETTE[:2]}
    assert [(r["month"], r["owner"], r["weighted"]) for r in spec["data"]["values"]] == \
        [(p["month"], p["owner"], p["weighted"]) for p in POINTS]


def test_owner_names_stay_data_values():
    """A name is a value in the data, drawn as chart text, never markup in a title, a field or a label."""
    spec = _chart()
    assert "<b>" not in str({k: v for k, v in spec.items() if k != "data"}.get("encoding", {}).get("x"))
    assert "title" not in spec
    assert all("<b>" not in str(v) for k, v in spec["encoding"].items() if k != "color")
