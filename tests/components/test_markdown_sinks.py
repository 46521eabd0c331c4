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


def test_every_plotly_figure_is_built_by_charts_figure():
    """charts.figure escapes every label; a figure built or changed elsewhere would skip that."""
    for path in ui_files():
        if path.name == "charts.py":
            continue
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"go\.Figure\(|plotly\.express|\.add_trace\(|\.add_annotation\(|\.update_layout\(|"
                             r"\.update_traces\(|\.update_xaxes\(|\.update_yaxes\(", source), path.name
