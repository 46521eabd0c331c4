"""Pure plotly figure builders for the dashboard (rows in, figure out; unit-tested)."""

from __future__ import annotations

import plotly.graph_objects as go

PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]
LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 320, "legend": {"orientation": "h", "y": -0.2},
          "plot_bgcolor": "white", "hovermode": "closest"}


def _fig(title: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title={"text": title, "font": {"size": 15}}, **LAYOUT)
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(gridcolor="#eef0f4")
    return fig


def satisfaction_over_time(series: list[dict], title: str, csat_label: str, nps_label: str) -> go.Figure:
    """CSAT % (left axis) and NPS (right axis) per month; a point's customdata is its month."""
    fig = _fig(title)
    months = [r["month"] for r in series]
    fig.add_bar(x=months, y=[None if r["csat"] is None else 100 * r["csat"] for r in series], name=csat_label,
                marker_color=PALETTE[0], customdata=months, opacity=0.8)
    fig.add_scatter(x=months, y=[r["nps"] for r in series], name=nps_label, yaxis="y2", mode="lines+markers",
                    line={"color": PALETTE[2], "width": 3}, customdata=months)
    fig.update_layout(yaxis={"range": [0, 100], "ticksuffix": "%"},
                      yaxis2={"overlaying": "y", "side": "right", "range": [-100, 100], "showgrid": False})
    return fig


def distribution(scores: list[dict], title: str, kind: str) -> go.Figure:
    fig = _fig(title)
    full = range(1, 6) if kind == "csat" else range(0, 11)
    counts = {r["score"]: r["n"] for r in scores}
    colours = [_score_colour(kind, s) for s in full]
    fig.add_bar(x=[str(s) for s in full], y=[counts.get(s, 0) for s in full], marker_color=colours, showlegend=False)
    return fig


def _score_colour(kind: str, score: int) -> str:
    if kind == "csat":
        return PALETTE[1] if score >= 4 else PALETTE[3] if score <= 2 else "#9ca3af"
    return PALETTE[1] if score >= 9 else PALETTE[3] if score <= 6 else "#9ca3af"


def profit_bars(groups: list[dict], title: str, horizontal: bool = False) -> go.Figure:
    """Profit per group; losses in red. customdata carries the group key for drill-down."""
    fig = _fig(title)
    labels = [str(g["label"]) for g in groups]
    values = [g["profit"] for g in groups]
    colours = [PALETTE[1] if (v or 0) >= 0 else PALETTE[3] for v in values]
    keys = [g["key"] for g in groups]
    if horizontal:
        fig.add_bar(y=labels, x=values, orientation="h", marker_color=colours, customdata=keys, showlegend=False)
        fig.update_layout(height=max(320, 24 * len(groups) + 80), yaxis={"autorange": "reversed"})
    else:
        fig.add_bar(x=labels, y=values, marker_color=colours, customdata=keys, showlegend=False)
    return fig


def cac_over_time(points: list[dict], title: str, series: str = "channel") -> go.Figure:
    """CAC per month, one line per channel (or per campaign); gaps where nobody was won."""
    fig = _fig(title)
    # only series with at least one CAC to draw: a campaign that won nobody in the window has no line
    names = list(dict.fromkeys(p[series] for p in sorted(points, key=lambda p: (p["month"], str(p[series])))
                               if p["cac"] is not None))
    for i, name in enumerate(names):
        mine = [p for p in points if p[series] == name]
        fig.add_scatter(x=[p["month"] for p in mine], y=[p["cac"] for p in mine], name=str(name),
                        mode="lines+markers", line={"color": PALETTE[i % len(PALETTE)]}, connectgaps=False,
                        customdata=[[p["spend"], p["new_customers"]] for p in mine],
                        hovertemplate="%{x}: %{y:,.0f}<br>spend %{customdata[0]:,.0f} / %{customdata[1]} won"
                                      "<extra>" + str(name) + "</extra>")
    return fig


def cac_vs_clv(points: list[dict], title: str, cac_label: str, clv_label: str) -> go.Figure:
    fig = _fig(title)
    shown = [p for p in points if p["cac"] is not None and p["clv"] is not None]
    fig.add_scatter(x=[p["cac"] for p in shown], y=[p["clv"] for p in shown], text=[p["channel"] for p in shown],
                    mode="markers+text", textposition="top center", marker={"size": 14, "color": PALETTE[4]},
                    customdata=[p["channel"] for p in shown], showlegend=False)
    top = max([p["cac"] for p in shown] + [p["clv"] for p in shown] + [1])
    fig.add_scatter(x=[0, top], y=[0, 3 * top], mode="lines", line={"dash": "dot", "color": "#9ca3af"},
                    name="LTV = 3 × CAC")
    fig.update_layout(xaxis_title=cac_label, yaxis_title=clv_label)
    return fig


def funnel(stages: list[dict], title: str) -> go.Figure:
    fig = _fig(title)
    fig.add_trace(go.Funnel(y=[s["stage"] for s in stages], x=[s["deals"] for s in stages],
                            customdata=[s["stage_id"] for s in stages], textinfo="value+percent initial",
                            marker={"color": PALETTE[0]}))
    return fig


def rates_over_time(series: list[dict], title: str, win_label: str, cycle_label: str) -> go.Figure:
    fig = _fig(title)
    months = [r["month"] for r in series]
    fig.add_scatter(x=months, y=[None if r["win_rate"] is None else 100 * r["win_rate"] for r in series],
                    name=win_label, mode="lines+markers", line={"color": PALETTE[1], "width": 3})
    fig.add_bar(x=months, y=[r["cycle_days"] for r in series], name=cycle_label, yaxis="y2",
                marker_color="#c7d2fe", opacity=0.7)
    fig.update_layout(yaxis={"range": [0, 100], "ticksuffix": "%"},
                      yaxis2={"overlaying": "y", "side": "right", "showgrid": False})
    return fig


def cohort_heatmap(cells: list[dict], title: str, age_label: str) -> go.Figure:
    fig = _fig(title)
    cohorts = sorted({c["cohort"] for c in cells})
    ages = sorted({c["age"] for c in cells})
    grid = {(c["cohort"], c["age"]): c["retention"] for c in cells}
    z = [[None if grid.get((co, a)) is None else round(100 * grid[(co, a)], 1) for a in ages] for co in cohorts]
    sizes = {c["cohort"]: c["size"] for c in cells}
    fig.add_trace(go.Heatmap(z=z, x=[str(a) for a in ages], y=[f"{co} ({sizes[co]})" for co in cohorts],
                             colorscale="Blues", zmin=0, zmax=100, texttemplate="%{z:.0f}", hoverongaps=False,
                             colorbar={"ticksuffix": "%"}))
    fig.update_layout(xaxis_title=age_label, height=max(320, 26 * len(cohorts) + 100),
                      yaxis={"autorange": "reversed"})
    return fig
