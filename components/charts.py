"""Pure plotly figure builders for the dashboard (rows in, figure out; unit-tested).

Every figure is built by ``figure``, which passes every label through ``components.text.plain_label``:
plotly renders a small HTML subset (``<b>``, ``<a href>``, ``<br>``) in titles, tick labels, legend names
and hover text, and those carry company, campaign, owner, channel, stage and view names.
"""

from __future__ import annotations

import plotly.graph_objects as go

from components.text import plain_label

PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]
LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 320, "legend": {"orientation": "h", "y": -0.2},
          "plot_bgcolor": "white", "hovermode": "closest"}


def figure(title: str, traces: list[dict], **layout) -> go.Figure:
    """One figure from trace dicts (each with its "type") and layout keys, validated once: building it with
    ``add_*``/``update_*`` calls costs ~10x more (each call re-runs plotly's update machinery), and the
    dashboard draws eleven figures on every data change. The empty template leaves styling to Streamlit's
    chart theme, which fills it in the browser, instead of copying plotly's 6 kB default into each figure."""
    base = {"template": {}, "title": {"text": plain_label(title), "font": {"size": 15}}, **LAYOUT,
            "xaxis": {"showgrid": False}, "yaxis": {"gridcolor": "#eef0f4"}}
    for axis in ("xaxis", "yaxis"):
        if axis in layout:
            layout[axis] = {**base[axis], **layout[axis]}
    for key, value in layout.items():  # axis titles
        if key.startswith(("xaxis", "yaxis")) and isinstance(value.get("title"), dict):
            value["title"] = {**value["title"], "text": plain_label(value["title"].get("text"))}
    return go.Figure(data=[_plain_trace(trace) for trace in traces], layout={**base, **layout})


LABELS = ("x", "y", "text", "labels", "name", "hovertext")  # trace keys whose strings plotly renders as HTML


def _plain_trace(trace: dict) -> dict:
    """The trace with its label strings escaped; numbers, customdata (drill-down keys) and templates as they are."""
    out = dict(trace)
    for key in LABELS:
        value = out.get(key)
        if isinstance(value, str):
            out[key] = plain_label(value)
        elif isinstance(value, list | tuple):
            out[key] = [plain_label(v) for v in value]
    return out


def satisfaction_over_time(series: list[dict], title: str, csat_label: str, nps_label: str) -> go.Figure:
    """CSAT % (left axis) and NPS (right axis) per month; a point's customdata is its month."""
    months = [r["month"] for r in series]
    return figure(title, [
        {"type": "bar", "x": months, "y": [None if r["csat"] is None else 100 * r["csat"] for r in series],
         "name": csat_label, "marker": {"color": PALETTE[0]}, "customdata": months, "opacity": 0.8},
        {"type": "scatter", "x": months, "y": [r["nps"] for r in series], "name": nps_label, "yaxis": "y2",
         "mode": "lines+markers", "line": {"color": PALETTE[2], "width": 3}, "customdata": months},
    ], yaxis={"range": [0, 100], "ticksuffix": "%"},
        yaxis2={"overlaying": "y", "side": "right", "range": [-100, 100], "showgrid": False})


def distribution(scores: list[dict], title: str, kind: str) -> go.Figure:
    full = range(1, 6) if kind == "csat" else range(0, 11)
    counts = {r["score"]: r["n"] for r in scores}
    return figure(title, [{"type": "bar", "x": [str(s) for s in full], "y": [counts.get(s, 0) for s in full],
                           "marker": {"color": [_score_colour(kind, s) for s in full]}, "showlegend": False}])


def _score_colour(kind: str, score: int) -> str:
    if kind == "csat":
        return PALETTE[1] if score >= 4 else PALETTE[3] if score <= 2 else "#9ca3af"
    return PALETTE[1] if score >= 9 else PALETTE[3] if score <= 6 else "#9ca3af"


def profit_bars(groups: list[dict], title: str, horizontal: bool = False) -> go.Figure:
    """Profit per group; losses in red. customdata carries the group key for drill-down."""
    labels = [str(g["label"]) for g in groups]
    values = [g["profit"] for g in groups]
    bar = {"type": "bar", "marker": {"color": [PALETTE[1] if (v or 0) >= 0 else PALETTE[3] for v in values]},
           "customdata": [g["key"] for g in groups], "showlegend": False}
    if horizontal:
        return figure(title, [{**bar, "y": labels, "x": values, "orientation": "h"}],
                      height=max(320, 24 * len(groups) + 80), yaxis={"autorange": "reversed"})
    return figure(title, [{**bar, "x": labels, "y": values}])


def cac_over_time(points: list[dict], title: str, series: str = "channel") -> go.Figure:
    """CAC per month, one line per channel (or per campaign); gaps where nobody was won."""
    # only series with at least one CAC to draw: a campaign that won nobody in the window has no line
    names = list(dict.fromkeys(p[series] for p in sorted(points, key=lambda p: (p["month"], str(p[series])))
                               if p["cac"] is not None))
    traces = []
    for i, name in enumerate(names):
        mine = [p for p in points if p[series] == name]
        traces.append({"type": "scatter", "x": [p["month"] for p in mine], "y": [p["cac"] for p in mine],
                       "name": str(name), "mode": "lines+markers", "line": {"color": PALETTE[i % len(PALETTE)]},
                       "connectgaps": False, "customdata": [[p["spend"], p["new_customers"]] for p in mine],
                       "hovertemplate": "%{x}: %{y:,.0f}<br>spend %{customdata[0]:,.0f} / %{customdata[1]} won"
                                        "<extra>%{fullData.name}</extra>"})
    return figure(title, traces)


def cac_vs_clv(points: list[dict], title: str, cac_label: str, clv_label: str) -> go.Figure:
    shown = [p for p in points if p["cac"] is not None and p["clv"] is not None]
    top = max([p["cac"] for p in shown] + [p["clv"] for p in shown] + [1])
    return figure(title, [
        {"type": "scatter", "x": [p["cac"] for p in shown], "y": [p["clv"] for p in shown],
         "text": [p["channel"] for p in shown], "mode": "markers+text", "textposition": "top center",
         "marker": {"size": 14, "color": PALETTE[4]}, "customdata": [p["channel"] for p in shown],
         "showlegend": False},
        {"type": "scatter", "x": [0, top], "y": [0, 3 * top], "mode": "lines",
         "line": {"dash": "dot", "color": "#9ca3af"}, "name": "LTV = 3 × CAC"},
    ], xaxis={"title": {"text": cac_label}}, yaxis={"title": {"text": clv_label}})


def funnel(stages: list[dict], title: str) -> go.Figure:
    return figure(title, [{"type": "funnel", "y": [s["stage"] for s in stages], "x": [s["deals"] for s in stages],
                           "customdata": [s["stage_id"] for s in stages], "textinfo": "value+percent initial",
                           "marker": {"color": PALETTE[0]}}])


def rates_over_time(series: list[dict], title: str, win_label: str, cycle_label: str) -> go.Figure:
    months = [r["month"] for r in series]
    return figure(title, [
        {"type": "scatter", "x": months, "y": [None if r["win_rate"] is None else 100 * r["win_rate"] for r in series],
         "name": win_label, "mode": "lines+markers", "line": {"color": PALETTE[1], "width": 3}},
        {"type": "bar", "x": months, "y": [r["cycle_days"] for r in series], "name": cycle_label, "yaxis": "y2",
         "marker": {"color": "#c7d2fe"}, "opacity": 0.7},
    ], yaxis={"range": [0, 100], "ticksuffix": "%"}, yaxis2={"overlaying": "y", "side": "right", "showgrid": False})


def cohort_heatmap(cells: list[dict], title: str, age_label: str) -> go.Figure:
    cohorts = sorted({c["cohort"] for c in cells})
    ages = sorted({c["age"] for c in cells})
    grid = {(c["cohort"], c["age"]): c["retention"] for c in cells}
    z = [[None if grid.get((co, a)) is None else round(100 * grid[(co, a)], 1) for a in ages] for co in cohorts]
    sizes = {c["cohort"]: c["size"] for c in cells}
    return figure(title, [{"type": "heatmap", "z": z, "x": [str(a) for a in ages],
                           "y": [f"{co} ({sizes[co]})" for co in cohorts], "colorscale": "Blues", "zmin": 0,
                           "zmax": 100, "texttemplate": "%{z:.0f}", "hoverongaps": False,
                           "colorbar": {"ticksuffix": "%"}}],
                  xaxis={"title": {"text": age_label}}, height=max(320, 26 * len(cohorts) + 100),
                  yaxis={"autorange": "reversed"})


def warm() -> None:
    """Draw each chart once from a sample row: plotly creates each property's validator on first use, so the
    first figures in a process cost ~3-10x the later ones (components/warmup.py runs this at server start)."""
    month = {"month": "2026-01", "csat": 0.8, "nps": 10, "channel": "web", "cac": 1.0, "clv": 3.0, "spend": 1.0,
             "new_customers": 1, "win_rate": 0.5, "cycle_days": 9}
    satisfaction_over_time([month], "", "", "")
    distribution([{"score": 5, "n": 1}], "", "csat")
    for horizontal in (False, True):
        profit_bars([{"label": "", "profit": 1.0, "key": 1}], "", horizontal)
    cac_over_time([month], "")
    cac_vs_clv([month], "", "", "")
    funnel([{"stage": "", "deals": 1, "stage_id": 1}], "")
    rates_over_time([month], "", "", "")
    cohort_heatmap([{"cohort": "2026-01", "age": 0, "retention": 1.0, "size": 1}], "", "")
    figure("", [{"type": "pie", "labels": [""], "values": [1], "hole": 0.4, "textposition": "inside"}])
