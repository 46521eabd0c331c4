"""No page or component hands database text to a markdown-rendering Streamlit call unescaped (static walk)."""

import re
import textwrap

import pytest

from tests.components.markdown_sinks import ROOT, check_source, check_tree, ui_files


def test_the_ui_code_passes_every_user_value_through_esc():
    assert len(ui_files()) > 30  # the walk really covers app.py, pages/ and components/
    findings = check_tree()
    assert not findings, "user text reaches markdown unescaped (wrap it in components.text.esc):\n" + \
        "\n".join(map(str, findings))


def _findings(code: str) -> list[str]:
    return [f.sink for f in check_source(textwrap.dedent(code))]


@pytest.mark.parametrize("code,sink", [
    ("st.markdown(row['name'])", "st.markdown body"),
    ("st.caption(f\"{user['name']} · {t('roles.x')}\")", "st.caption body"),
    ("st.title(t('home.title', name=user['name']))", "st.title body"),
    ("st.toast(t('deals.moved', title=saved['title'][:60]))", "st.toast body"),
    ("st.page_link('pages/views.py', label=v['name'])", "page_link(label=)"),
    ("nav_link(ctx, 'deals', label=f\"{d['title']} · x\")", "nav_link(label=)"),
    ("c1.button(t('deals.show_more', stage=col['name']), key='k')", "st.button label"),
    ("st.selectbox(header, [1, 2])", "st.selectbox label"),
    ("st.expander(name)", "st.expander label"),
    ("st.tabs([t('a'), company['name']])", "st.tabs labels"),
    ("st.metric(t('kpi.x'), 1, help=row['note'])", "metric(help=)"),
    ("st.radio('x', ['a', 'b'], format_func=lambda s: record[s])", "st.radio format_func"),
    ("st.pills('x', names)", "st.pills options"),
    ("st.error(f\"{original['email']}: {error_text(err)}\")", "st.error body"),
    ("def f(label):\n    st.subheader(label)", "st.subheader body"),
    ("for v in views:\n    st.caption(v)", "st.caption body"),
    ("parts = [t('a')]\nparts.append(row['name'])\nst.caption(' · '.join(parts))", "st.caption body"),
    ("x = t('a')\nx = row['name']\nst.markdown(x)", "st.markdown body"),
    ("st.markdown(t('a'), unsafe_allow_html=True)", "unsafe_allow_html"),
    ("st.html(t('a'))", "st.html"),
])
def test_the_walk_finds_user_text_in_each_kind_of_sink(code, sink):
    assert _findings(code) == [sink]


@pytest.mark.parametrize("code", [
    "st.markdown(esc(row['name']))",
    "st.caption(' · '.join(filter(None, [esc(a['x']), money(a['amount'], 'en')])))",
    "facts = [t('a'), esc(p['c']) if p['c'] else None]\nst.caption(' · '.join(f for f in facts if f))",
    "st.title(t('home.title', name=esc(user['name'])))",
    "st.selectbox(t('x'), rows, format_func=lambda r: r['name'])",  # selectbox options are plain text
    "st.dataframe(rows)",
    "st.radio('x', ['a', 'b'], format_func=lambda s, f=field: esc(record[s][f]))",
    "for name, icon in (('overdue', ':material/warning:'),):\n    st.subheader(f\"{icon} {t('tasks.' + name)}\")",
    "ICONS = {'call': ':material/call:'}\nst.markdown(f\"{ICONS.get(kind, '')} x\")",
    "st.success(t('x', n=n))  # text-safe: a count",
    "log.error(row['name'])",
    "st.caption(t('admin.help', keep=backup.KEEP_DAYS))",
])
def test_safe_values_pass(code):
    assert _findings(code) == []


def test_custom_components_set_text_not_html():
    """The kanban board (and any component added later) puts database text in with textContent."""
    scripts = sorted((ROOT / "components").rglob("*.js"))
    assert scripts
    for script in scripts:
        source = script.read_text(encoding="utf-8")
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser", source), script.name
    assert "textContent" in (ROOT / "components" / "kanban" / "board.js").read_text(encoding="utf-8")


CHART_CALLS = re.compile(r"\.(plotly_chart|altair_chart|vega_lite_chart|pyplot|bokeh_chart|graphviz_chart)\(")


def test_every_chart_comes_from_a_builder_that_the_walk_below_checks():
    """No page or component imports a chart library or builds a spec of its own: every chart call draws a
    spec of components/charts.py (the dashboard, segments, views, the deals forecast)."""
    builders = {"charts.py"}
    for path in ui_files():
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from) (plotly|bokeh|matplotlib)", source, re.M), path.name
        for call in re.finditer(r"\.(?:vega_lite_chart|altair_chart)\((.*)", source):
            argument = call.group(1)
            assert re.match(r"(charts\.\w+\(|bars\(|fig\b|spec\b)", argument), \
                f"{path.name}: {call.group(0)}"
        others = [m.group(0) for m in CHART_CALLS.finditer(source) if m.group(1) not in ("vega_lite_chart",
                                                                                          "altair_chart")]
        assert not others, (path.name, others)
        if path.name not in builders:
            assert not re.search(r"[\"']mark[\"']\s*:|alt\.Chart\(", source), path.name


MARKUP_OR_CODE = {"href", "url", "expr", "labelExpr", "calculate", "filter", "test", "field", "signal", "usermeta",
                  "name", "param", "as", "format"}


def _sinks(value, path=()):
    """Every (path, string) in a spec."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _sinks(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _sinks(item, (*path, i))
    elif isinstance(value, str):
        yield path, value


@pytest.mark.parametrize("raw", ['<a href="https://evil.example">A&B</a>', "<img src=x onerror=alert(1)>",
                                 "datum.x || alert(1)", "a.b[0]", "{{7*7}}", "\u202eevil"])
def test_user_text_in_a_chart_is_only_data_or_a_title(raw):
    """Vega draws data values and titles as text (its tooltip escapes & and <). User text anywhere else in a
    spec could be code or markup: a field name (a dot or bracket is a path), an expression, a link, a
    format. Every builder gets ``raw`` in every label it takes; it may only land in data, titles and legend
    domains, cleaned (no direction overrides)."""
    from tests.components.test_charts import every_chart

    for name, spec in every_chart(raw).items():
        hits = [(path, text) for path, text in _sinks(spec) if raw.strip("\u202e") in text]
        assert hits, name  # the text really is in the chart
        for path, text in hits:
            assert "\u202e" not in text, (name, path)
            assert not MARKUP_OR_CODE & {k for k in path if isinstance(k, str)}, (name, path)
            titled = path[-1] == "title" or path[-2:] in (("title", "text"), ("title", "subtitle"))
            assert "values" in path or titled or \
                path[-3:-1] == ("scale", "domain"), (name, path)
