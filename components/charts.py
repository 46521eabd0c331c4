"""Pure Vega-Lite chart builders for the dashboard, segments and saved views (rows in, spec dict out; unit-tested).

Vega-Lite, not plotly: plotly's 4.7 MB library runs ~1.3 s in every new browser tab before a chart is drawn,
while Streamlit's own bundle draws Vega-Lite (docs/bench.md, "A page opened by URL"). The specs are plain
dicts for ``st.vega_lite_chart``: building one costs microseconds, where an altair chart's ``to_dict`` costs
~20-30 ms (the dashboard draws up to four a run, for 30 sessions at once). tests/components/test_charts.py
checks every builder's output against the Vega-Lite schema altair ships, so a spec Vega-Lite would reject
fails there, not in a browser.

User text (company, campaign, owner, channel, stage and view names) goes only into data values and titles,
which Vega draws as text (its tooltip escapes ``&`` and ``<``); it never becomes a field name, an expression
or a link (tests/components/test_markdown_sinks.py walks every builder's spec for that). Labels pass through
``components.text.clean``: one line, capped, without control or direction-override characters.

A chart with drill-down has the point selection ``PICK`` over the field ``"key"``: drawn with
``on_select="rerun"``, a click puts ``[{"key": ...}]`` into the chart's session state, which
``components.dashboard.picked`` reads.
"""

from __future__ import annotations

from components.text import clean

PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]
GREY = "#9ca3af"
HEIGHT = 320  # the whole chart, title, axes and legend included (Streamlit fits the spec to its size)
PICK = "pick"  # the point selection of every chart with drill-down; it picks the field "key"
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# SVG, not canvas: titles and labels are text in the page (found by search, screen readers and the browser
# tests); these charts have at most a few hundred marks.
EMBED = {"embedOptions": {"renderer": "svg"}}
# A bottom legend wraps into two columns on a phone-wide chart instead of running off its edge.
CONFIG = {"axis": {"gridColor": "#eef0f4"}, "axisX": {"grid": False}, "view": {"stroke": None},
          "legend": {"orient": "bottom", "title": None, "columns": {"expr": "width < 480 ? 2 : 8"}}}
# Fit the container, and lay out again when the data comes: Streamlit sends the rows apart from the spec, and
# a layout made once without them leaves no room for axis labels that only the data brings (a right axis
# drawn past the chart's edge).
AUTOSIZE = {"type": "fit", "contains": "padding", "resize": True}
TIP = {"field": "tip", "type": "nominal"}  # one preformatted line per mark: no key column, no duplicate titles


def spec(title: str | None, rows: list[dict], body: dict, height: int = HEIGHT) -> dict:
    """A whole chart: its title (None: none, the page names it), height and data, and ``body`` (``mark`` and
    ``encoding``, or ``layer``)."""
    return {"$schema": SCHEMA, **({"title": heading(title)} if title is not None else {}), "height": height,
            "autosize": AUTOSIZE, "data": {"values": rows}, "usermeta": EMBED, "config": CONFIG, **body}


def legend(field: str, names: list[str], colours: list[str]) -> dict:
    """Colour by a column naming the series (a layer's rows all carry its name), one legend entry each, in
    this order and these colours (a constant ``datum`` would take no scale)."""
    return {"field": field, "type": "nominal", "scale": {"domain": names, "range": colours}}


def heading(title: str) -> dict:
    """The chart's title; a closing "(...)" hint ("click a bar for its customers") goes on a smaller second
    line, so a phone-wide chart cuts neither (a Vega title does not wrap)."""
    text = clean(title)
    main, cut, hint = text.rpartition(" (")
    if cut and main and hint.endswith(")"):
        return {"text": main, "subtitle": hint[:-1], "anchor": "start", "fontSize": 15, "subtitleFontSize": 12}
    return {"text": text, "anchor": "start", "fontSize": 15}


def label(value) -> str:
    """A category as chart text: one line of at most 80 characters, no control or direction characters."""
    return clean(value, 80)


def distinct(labels: list[str]) -> list[str]:
    """Labels made unique for a category axis, where two customers of one name would merge into one bar:
    the second "Ana" reads "Ana (2)"."""
    seen: dict[str, int] = {}
    out = []
    for text in labels:
        seen[text] = seen.get(text, 0) + 1
        out.append(text if seen[text] == 1 else f"{text} ({seen[text]})")
    return out


def amount(value, fmt: str = ",.0f") -> str:
    """A figure for a tooltip line ("—" for none); ``fmt`` "" gives up to two decimals, trailing zeros cut."""
    if value is None:
        return "—"
    if not fmt:
        text = format(value, ",.2f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return format(value, fmt)


def pick(views: list[str] | None = None) -> dict:
    """The drill-down selection: a click picks one mark's ``key`` (a double click clears it)."""
    param = {"name": PICK, "select": {"type": "point", "fields": ["key"], "toggle": False}}
    return {**param, "views": views} if views else param


def lit() -> dict:
    """Full opacity for the picked mark (and for all while none is), the others dimmed."""
    return {"condition": {"param": PICK, "empty": True, "value": 1}, "value": 0.35}


def category(field: str, sort: list | None = None, limit: int = 160) -> dict:
    """A nominal axis in data order (or ``sort``), untitled, its labels upright."""
    return {"field": field, "type": "nominal", "sort": sort, "title": None,
            "axis": {"labelAngle": 0, "labelLimit": limit, "labelOverlap": True}}


def columns(field: str, labels: list[str]) -> dict:
    """A category x axis whose labels turn aslant when the bars are narrower than the longest label (a phone,
    many groups) instead of dropping every other one. The test is on the drawn band's width (Vega's
    ``bandwidth('x')``), against a figure computed here: no label text goes into the expression."""
    longest = 7 * max([len(text) for text in labels] + [1])
    narrow = f"bandwidth('x') < {longest}"
    return {**category(field), "axis": {"labelAngle": {"expr": f"{narrow} ? -40 : 0"}, "labelLimit": 120,
                                        "labelAlign": {"expr": f"{narrow} ? 'right' : 'center'"},
                                        "labelOverlap": False}}  # aslant they fit; Streamlit's theme drops some


def months(field: str = "month") -> dict:
    """A month axis; its labels centred under their month (a line's point scale would put them after it)."""
    return {"field": field, "type": "ordinal", "title": None,
            "axis": {"labelAngle": 0, "labelOverlap": True, "labelAlign": "center"}}


def satisfaction_over_time(series: list[dict], title: str, csat_label: str, nps_label: str) -> dict:
    """CSAT bars (left axis, 0-100 %) and the NPS line (right axis, -100..100) per month. A click anywhere in
    a month's column picks it (key: the month) for its answers: an invisible full-height band per month on
    top carries the selection and the tooltip (Vega-Lite allows one selection per layer, and a month may have
    a bar, a point or both)."""
    csat_label, nps_label = label(csat_label), label(nps_label)
    rows = [{"key": r["month"], "month": r["month"], "csat": r["csat"], "nps": r["nps"], "csat_name": csat_label,
             "nps_name": nps_label, "tip": f"{r['month']} · {csat_label} {amount(r['csat'], '.1%')} · "
                                           f"{nps_label} {amount(r['nps'], '.1f')}"} for r in series]
    names, colours = [csat_label, nps_label], [PALETTE[0], PALETTE[2]]
    bars = {"mark": {"type": "bar", "opacity": 0.8}, "encoding": {
        "x": months(), "y": {"field": "csat", "type": "quantitative", "title": None, "scale": {"domain": [0, 1]},
                             "axis": {"format": ".0%"}},
        "color": legend("csat_name", names, colours), "fillOpacity": lit()}}
    line = {"mark": {"type": "line", "strokeWidth": 3, "invalid": "break-paths-show-domains",
                     "point": {"size": 70, "filled": True}}, "encoding": {
        "x": months(), "y": {"field": "nps", "type": "quantitative", "title": None, "scale": {"domain": [-100, 100]},
                             "axis": {"orient": "right", "grid": False}},
        "color": legend("nps_name", names, colours)}}
    band = {"name": "months", "mark": {"type": "rect", "opacity": 0, "cursor": "pointer"},
            "encoding": {"x": months(), "tooltip": TIP}}
    return spec(title, rows, {"layer": [bars, line, band], "resolve": {"scale": {"y": "independent"}},
                              "params": [pick(["months"])]})


def distribution(scores: list[dict], title: str, kind: str) -> dict:
    """Answers per score, every score of the scale shown (a missing one as 0): satisfied or promoters
    green, unhappy or detractors red, the middle grey."""
    full = range(1, 6) if kind == "csat" else range(0, 11)
    counts = {r["score"]: r["n"] for r in scores}
    return bars([{"label": str(s), "value": counts.get(s, 0), "colour": _score_colour(kind, s)} for s in full],
                title)


def _score_colour(kind: str, score: int) -> str:
    if kind == "csat":
        return PALETTE[1] if score >= 4 else PALETTE[3] if score <= 2 else GREY
    return PALETTE[1] if score >= 9 else PALETTE[3] if score <= 6 else GREY


def bars(rows: list[dict], title: str, colour: str | None = None) -> dict:
    """Vertical bars of ``value`` per ``label`` in data order, in ``colour`` or each row's ``"colour"``."""
    rows = _labelled(rows)
    fill = {"value": colour} if colour else {"field": "colour", "type": "nominal", "scale": None}
    return spec(title, rows, {"mark": {"type": "bar"}, "encoding": {
        "x": columns("label", [r["label"] for r in rows]),
        "y": {"field": "value", "type": "quantitative", "title": None}, "color": fill, "tooltip": TIP}})


def profit_bars(groups: list[dict], title: str, horizontal: bool = False) -> dict:
    """Profit per group, losses red; a bar picks its group (key: the group's key) for the customers behind."""
    labels = distinct([label(g["label"]) for g in groups])
    rows = [{"key": g["key"], "label": text, "profit": g["profit"], "tip": f"{text}: {amount(g['profit'])}",
             "colour": PALETTE[1] if (g["profit"] or 0) >= 0 else PALETTE[3]}
            for g, text in zip(groups, labels, strict=True)]
    value = {"field": "profit", "type": "quantitative", "title": None, "axis": {"format": ",.0f", "tickCount": 5}}
    encoding = {"color": {"field": "colour", "type": "nominal", "scale": None}, "fillOpacity": lit(),
                "tooltip": TIP}
    if horizontal:  # the first group on top
        encoding |= {"y": category("label", limit=140), "x": value}
    else:
        encoding |= {"x": columns("label", labels), "y": value}
    return spec(title, rows, {"mark": {"type": "bar", "cursor": "pointer"}, "encoding": encoding,
                              "params": [pick()]}, height=max(HEIGHT, 24 * len(rows) + 80) if horizontal else HEIGHT)


def cac_over_time(points: list[dict], title: str, series: str = "channel") -> dict:
    """CAC per month, one line per channel (or per campaign), broken where nobody was won. Only series with a
    CAC somewhere are drawn: a campaign that won nobody in the window has no line."""
    ordered = sorted(points, key=lambda p: (p["month"], str(p[series])))
    names = list(dict.fromkeys(p[series] for p in ordered if p["cac"] is not None))
    shown = dict(zip(names, distinct([label(n) for n in names]), strict=True))
    rows = [{"month": p["month"], "series": shown[p[series]], "cac": p["cac"],
             "tip": f"{shown[p[series]]} · {p['month']}: {amount(p['cac'])} "
                    f"(spend {amount(p['spend'])} / {p['new_customers']} won)"}
            for p in points if p[series] in shown]
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(shown))]
    return spec(title, rows, {"mark": {"type": "line", "point": {"size": 50, "filled": True},
                                       "invalid": "break-paths-show-domains"}, "encoding": {
        "x": months(), "y": {"field": "cac", "type": "quantitative", "title": None, "axis": {"format": ",.0f"}},
        "color": {"field": "series", "type": "nominal", "scale": {"domain": list(shown.values()), "range": colours}},
        "tooltip": TIP}})


def cac_vs_clv(points: list[dict], title: str, cac_label: str, clv_label: str) -> dict:
    """Each channel at (CAC, CLV), named above its dot, and the dotted line where CLV is three times CAC."""
    cac_label, clv_label = label(cac_label), label(clv_label)
    shown = [p for p in points if p["cac"] is not None and p["clv"] is not None]
    top = max([p["cac"] for p in shown] + [p["clv"] for p in shown] + [1])
    rows = [{"channel": label(p["channel"]), "cac": p["cac"], "clv": p["clv"],
             "tip": f"{label(p['channel'])}: {cac_label} {amount(p['cac'])}, {clv_label} {amount(p['clv'])}"}
            for p in shown]
    rule = "LTV = 3 × CAC"
    x = {"field": "cac", "type": "quantitative", "title": cac_label, "axis": {"format": ",.0f"}}
    y = {"field": "clv", "type": "quantitative", "title": clv_label, "axis": {"format": ",.0f"}}
    return spec(title, rows, {"layer": [
        {"data": {"values": [{"cac": 0, "clv": 0, "name": rule}, {"cac": top, "clv": 3 * top, "name": rule}]},
         "mark": {"type": "line", "strokeDash": [2, 3], "strokeWidth": 2},
         "encoding": {"x": x, "y": y, "color": legend("name", [rule], [GREY])}},
        {"mark": {"type": "point", "filled": True, "size": 200, "color": PALETTE[4], "opacity": 1},
         "encoding": {"x": x, "y": y, "tooltip": TIP}},
        {"mark": {"type": "text", "dy": -15, "fontSize": 12},
         "encoding": {"x": x, "y": y, "text": {"field": "channel", "type": "nominal"}}},
    ]})


def funnel(stages: list[dict], title: str) -> dict:
    """Deals per stage as centred bars, each with its count and share of the first stage beside it; a bar
    picks its stage (key: the stage id) for the deals behind."""
    first = stages[0]["deals"] if stages else 0
    labels = distinct([label(s["stage"]) for s in stages])
    rows = []
    for s, text in zip(stages, labels, strict=True):
        share = f" ({100 * s['deals'] / first:.0f}%)" if first else ""
        rows.append({"key": s["stage_id"], "stage": text, "left": -s["deals"] / 2, "right": s["deals"] / 2,
                     "value": f"{s['deals']:,}{share}", "tip": f"{text}: {s['deals']:,}{share}"})
    stage = category("stage", limit=140)
    widest = max([s["deals"] for s in stages] + [1])  # room on the right of the widest bar for its figures
    hidden = {"axis": None, "title": None, "scale": {"domain": [-widest / 2, widest], "nice": False}}
    return spec(title, rows, {"layer": [
        {"name": "bars", "mark": {"type": "bar", "color": PALETTE[0], "cursor": "pointer", "cornerRadius": 2},
         "encoding": {"y": stage, "x": {"field": "left", "type": "quantitative", **hidden}, "x2": {"field": "right"},
                      "fillOpacity": lit(), "tooltip": TIP}},
        {"mark": {"type": "text", "align": "left", "dx": 6, "fontSize": 12},
         "encoding": {"y": stage, "x": {"field": "right", "type": "quantitative", **hidden},
                      "text": {"field": "value", "type": "nominal"}}},
    ], "params": [pick(["bars"])]}, height=max(HEIGHT, 34 * len(rows) + 80))


def rates_over_time(series: list[dict], title: str, win_label: str, cycle_label: str) -> dict:
    """Win rate per month (line, left axis 0-100 %) over the sales cycle in days (bars, right axis). The
    line is drawn twice: invisibly first, which puts its axis and grid on the left, and again over the bars."""
    win_label, cycle_label = label(win_label), label(cycle_label)
    rows = [{"month": r["month"], "win_rate": r["win_rate"], "cycle_days": r["cycle_days"], "win_name": win_label,
             "cycle_name": cycle_label, "win_tip": f"{r['month']} · {win_label} {amount(r['win_rate'], '.1%')}",
             "cycle_tip": f"{r['month']} · {cycle_label} {amount(r['cycle_days'], '.1f')}"} for r in series]
    names, colours = [win_label, cycle_label], [PALETTE[1], "#c7d2fe"]
    rate = {"field": "win_rate", "type": "quantitative", "title": None, "scale": {"domain": [0, 1]},
            "axis": {"format": ".0%"}}
    line = {"mark": {"type": "line", "strokeWidth": 3, "point": {"size": 50, "filled": True},
                     "invalid": "break-paths-show-domains"},
            "encoding": {"x": months(), "y": {**rate, "axis": None}, "color": legend("win_name", names, colours),
                         "tooltip": {"field": "win_tip", "type": "nominal"}}}
    return spec(title, rows, {"layer": [
        {"mark": {"type": "line", "opacity": 0}, "encoding": {"x": months(), "y": rate}},
        {"mark": {"type": "bar", "opacity": 0.7}, "encoding": {
            "x": months(), "y": {"field": "cycle_days", "type": "quantitative", "title": None, "axis": {"grid": False}},
            "color": legend("cycle_name", names, colours), "tooltip": {"field": "cycle_tip", "type": "nominal"}}},
        line,
    ], "resolve": {"scale": {"y": "independent"}}})


def cohort_heatmap(cells: list[dict], title: str, age_label: str) -> dict:
    """Retention in % per acquisition month (rows, with the cohort's size) and months since (columns)."""
    cohorts = sorted({c["cohort"] for c in cells})
    sizes = {c["cohort"]: c["size"] for c in cells}
    names = {co: f"{co} ({sizes[co]})" for co in cohorts}
    rows = [{"cohort": names[c["cohort"]], "age": c["age"], "retention": c["retention"],
             "tip": f"{names[c['cohort']]} · {c['age']}: {amount(c['retention'], '.1%')}"}
            for c in cells if c["retention"] is not None]
    x = {"field": "age", "type": "ordinal", "title": clean(age_label), "axis": {"labelAngle": 0}}
    y = category("cohort", sort=[names[co] for co in cohorts])
    return spec(title, rows, {"layer": [
        {"mark": {"type": "rect", "stroke": "white", "strokeWidth": 1}, "encoding": {
            "x": x, "y": y, "tooltip": TIP,
            "color": {"field": "retention", "type": "quantitative", "title": None,
                      "scale": {"scheme": "blues", "domain": [0, 1]}, "legend": {"format": ".0%", "orient": "right"}}}},
        # the figures only where a cell is wide enough for "100%" (the tooltip has them on a phone)
        {"mark": {"type": "text", "fontSize": 11, "opacity": {"expr": "bandwidth('x') < 32 ? 0 : 1"}}, "encoding": {
            "x": x, "y": y, "text": {"field": "retention", "type": "quantitative", "format": ".0%"},
            "color": {"condition": {"test": "datum.retention > 0.55", "value": "white"}, "value": "#1f2937"}}},
    ]}, height=max(HEIGHT, 26 * len(cohorts) + 100))


def _labelled(rows: list[dict]) -> list[dict]:
    """Rows of ``label`` and ``value`` with their labels as chart text (unique) and a tooltip line each."""
    texts = distinct([label(r["label"]) for r in rows])
    return [{**r, "label": text, "tip": f"{text}: {amount(r['value'], '')}"}
            for r, text in zip(rows, texts, strict=True)]


def line(rows: list[dict], title: str, colour: str = PALETTE[0]) -> dict:
    """``value`` per ``label`` as a line with points, in data order."""
    rows = _labelled(rows)
    return spec(title, rows, {"mark": {"type": "line", "strokeWidth": 3, "color": colour,
                                       "point": {"size": 60, "filled": True, "color": colour}}, "encoding": {
        "x": category("label"), "y": {"field": "value", "type": "quantitative", "title": None}, "tooltip": TIP}})


def donut(rows: list[dict], title: str) -> dict:
    """Each ``label``'s share of ``value`` as a ring, in data order, its legend on the right."""
    rows = [{**r, "order": i} for i, r in enumerate(_labelled(rows))]
    names = [r["label"] for r in rows]
    # the palette, or for more slices than it has colours a scheme of twenty (no two slices alike)
    colours = {"range": PALETTE} if len(names) <= len(PALETTE) else {"scheme": "tableau20"}
    return spec(title, rows, {"mark": {"type": "arc", "innerRadius": 60, "stroke": "white"}, "encoding": {
        "theta": {"field": "value", "type": "quantitative", "stack": True},
        "color": {"field": "label", "type": "nominal", "sort": None, "scale": {"domain": names, **colours},
                  "legend": {"orient": "right", "labelLimit": 200, "columns": 1}},
        "order": {"field": "order", "type": "quantitative"}, "tooltip": TIP}})


def forecast(points: list[dict], month_label: str, owner_label: str, weighted_label: str) -> dict:
    """Weighted open pipeline per expected-close month, stacked by owner in name order, one palette colour
    each (the Deals page; its folded section names it, so the chart has no title of its own)."""
    owners = sorted({p["owner"] for p in points})
    shown = dict(zip(owners, distinct([label(o) for o in owners]), strict=True))
    month_label, owner_label, weighted_label = label(month_label), label(owner_label), label(weighted_label)
    rows = [{"month": p["month"], "owner": shown[p["owner"]], "weighted": p["weighted"],
             "tip": f"{month_label} {p['month']} · {owner_label} {shown[p['owner']]} · {weighted_label} "
                    f"{amount(p['weighted'])}"} for p in points]
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(owners))]
    return spec(None, rows, {"mark": {"type": "bar"}, "encoding": {
        "x": {"field": "month", "type": "ordinal", "title": None, "axis": {"labelAngle": 0}},
        "y": {"field": "weighted", "type": "quantitative", "aggregate": "sum", "title": None,
              "axis": {"format": ",.0f"}},
        "color": legend("owner", list(shown.values()), colours), "order": {"field": "owner"}, "tooltip": TIP}})
