"""Global search: the sidebar box on every page, its keyboard shortcut, and the results list (pages/search.py).

The box is a form (Enter searches; leaving the field does not), and a search opens ``/search?q=...``:
a page, so the browser's back button returns to the results and a search can be shared as a link.
``/`` or Ctrl+K (Cmd+K) puts the cursor in the box from anywhere: a tiny components-v2 element (it runs
in the app page) listens for the keys and focuses the input; it opens a collapsed sidebar first.
"""

from __future__ import annotations

import streamlit as st

from components.errors import query_text
from components.i18n import moment, money, t
from components.new_record import ICONS as ICONS_NEW
from components.new_record import open_form, render_created
from components.text import esc
from db.crm import search as global_search

SEARCH_PAGE = "pages/search.py"
SIDEBAR_BOX = "global_search_box"
SIDEBAR_GO = "global_search_go"
PAGE_BOX = "search_page_box"
MAX_CHARS = 200
NARROW_PX = 640  # Streamlit stacks columns below this width: a phone
NARROW = "layout_narrow"  # session state: True on a phone-width window (reported by the listener below)
ICONS = {"contact": ":material/person:", "company": ":material/domain:", "deal": ":material/handshake:",
         "activity": ":material/event_note:"}
ACTIVITY_ICONS = {"call": ":material/call:", "meeting": ":material/groups:", "email": ":material/mail:",
                  "task": ":material/task_alt:", "note": ":material/sticky_note_2:",
                  "complaint": ":material/report:"}
SCRIPTS = {"contacts": "pages/contacts.py", "companies": "pages/companies.py", "deals": "pages/deals.py",
           "calendar": "pages/calendar.py"}
# The page box wins (on the results page), else the sidebar's; a collapsed sidebar is opened first.
_JS = """
export default function(component) {
  const own = component.parentElement && component.parentElement.closest(".stElementContainer");
  if (own) own.style.display = "none";  // draws nothing: no empty slot (and gap) on the page
  // The page's width class (phone or wider), so the server can fold filters at phone width. Reported when it
  // differs from what the server last knew: once per session, and again when the window crosses the line.
  const report = () => {
    const narrow = window.innerWidth < NARROW_PX;
    if (window.__crmNarrow !== narrow) { window.__crmNarrow = narrow; component.setStateValue("narrow", narrow); }
  };
  if (window.__crmNarrow === undefined && component.data && typeof component.data.narrow === "boolean") {
    window.__crmNarrow = component.data.narrow;  // a new page load in a session that already told the server
  }
  report();
  if (!window.__crmNarrowListener) {
    window.__crmNarrowListener = true;
    window.addEventListener("resize", () => { clearTimeout(window.__crmNarrowTimer); window.__crmNarrowTimer = setTimeout(report, 250); });
  }
  if (window.__crmSearchKeys) return;
  window.__crmSearchKeys = true;
  const find = () => document.querySelector(".st-key-PAGE_BOX input")
    || document.querySelector(".st-key-SIDEBAR_BOX input");
  const shown = (box) => {  // in the page and on the screen (a collapsed sidebar is moved off it)
    if (!box || (box.checkVisibility ? !box.checkVisibility() : box.offsetParent === null)) return false;
    const r = box.getBoundingClientRect();
    return r.right > 0 && r.left < window.innerWidth;
  };
  const focus = (box) => { box.focus(); box.select(); };
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    const slash = event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey;
    const k = (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "k";
    if (!slash && !k) return;
    const box = find();
    if (shown(box)) { event.preventDefault(); focus(box); return; }
    const open = document.querySelector("[data-testid=stExpandSidebarButton]");  // a collapsed sidebar
    if (!open) return;
    event.preventDefault();
    open.click();
    let tries = 0;
    const later = () => {
      const opened = find();
      if (shown(opened)) focus(opened); else if (tries++ < 40) setTimeout(later, 50);
    };
    later();
  });
  // On a phone the open sidebar covers the page: close it once a search is sent from it.
  const sent = (event) => {
    const inBox = event.target && event.target.closest && event.target.closest(".st-key-SIDEBAR_BOX");
    const onButton = event.target && event.target.closest && event.target.closest(".st-key-SIDEBAR_GO");
    if (event.type === "keydown" ? !(inBox && event.key === "Enter") : !onButton) return;
    if (window.innerWidth >= 640 || !document.querySelector(".st-key-SIDEBAR_BOX input").value.trim()) return;
    const close = document.querySelector("[data-testid=stSidebarCollapseButton] button");
    if (close) setTimeout(() => close.click(), 50);
  };
  document.addEventListener("keydown", sent, true);
  document.addEventListener("click", sent, true);
}
""".replace("NARROW_PX", str(NARROW_PX)).replace("PAGE_BOX", PAGE_BOX).replace("SIDEBAR_BOX", SIDEBAR_BOX).replace("SIDEBAR_GO", SIDEBAR_GO)
# The narrow sidebar box has no room for "Press Enter to submit form" over its placeholder.
_CSS = f"""
.st-key-{SIDEBAR_BOX} [data-testid="InputInstructions"] {{
  display: none;
}}
"""  # more than one line: Streamlit takes a one-line string with "[" for a file name
_keys = None


def render_sidebar_box(current: str) -> None:
    """The sidebar's search box; not on the results page, which has its own."""
    if current == "search":
        return
    with st.form("global_search", border=False, clear_on_submit=True):
        text, submitted = _search_row(SIDEBAR_BOX, SIDEBAR_GO)
    if submitted and text.strip():
        st.switch_page(SEARCH_PAGE, query_params={"q": text.strip()[:MAX_CHARS]})


def _search_row(box_key: str, button_key: str, primary: bool = False) -> tuple[str, bool]:
    """A search box with its button on one line (a horizontal container stays one line on a phone)."""
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        text = st.text_input(t("search.label"), placeholder=t("search.placeholder"), key=box_key,
                             label_visibility="collapsed", autocomplete="off", width="stretch")
        submitted = st.form_submit_button(":material/search:", help=t("search.shortcut"), key=button_key,
                                          type="primary" if primary else "secondary")
    return text, submitted


def listen_for_shortcut() -> None:
    """The keyboard shortcut's listener, drawn in the main area: a collapsed sidebar's elements are not in
    the page until it opens (a phone-width window starts collapsed), so the listener could not be there.
    It also reports whether the window is phone-width (``NARROW`` in session state, see ``layout.filter_area``)."""
    global _keys
    if _keys is None:
        _keys = st.components.v2.component("crm_search_keys", js=_JS, css=_CSS, isolate_styles=False)
    # Unknown counts as wide: a desktop browser then never reports (no extra run right after a page opens, which
    # closed a list someone was picking from); a phone reports once and the page folds.
    result = _keys(key="search-keys", data={"narrow": bool(st.session_state.get(NARROW))},
                   on_narrow_change=lambda: None)
    narrow = getattr(result, "narrow", None) if result is not None else None
    if isinstance(narrow, bool):
        st.session_state[NARROW] = narrow


def render_search_page(ctx) -> None:
    """The results page: its own box (filled from ``?q=``), a type filter and one ranked list."""
    query = query_text("q", MAX_CHARS)
    if st.session_state.get("search_q_shown") != query:  # a new ?q= (a sidebar search, back/forward): show it
        st.session_state[PAGE_BOX] = query
        st.session_state["search_q_shown"] = query
    st.title(t("nav.search"), anchor=False)
    with st.form("search_page", border=False):
        text, submitted = _search_row(PAGE_BOX, "search_page_go", primary=True)
    if submitted and text.strip() != query:
        st.query_params["q"] = text.strip()
        st.session_state["search_q_shown"] = text.strip()
        query = text.strip()
    kinds = {"all": None, "contact": ["contact"], "company": ["company"], "deal": ["deal"], "activity": ["activity"]}
    chosen = st.segmented_control(t("search.show"), list(kinds), default="all", key="search_kind",
                                  format_func=lambda k: t("search.kinds_" + k), label_visibility="collapsed")
    render_created()
    if not global_search.words(query):
        st.caption(t("search.hint"))
        return
    limit = 50
    one_letter = global_search.needs_more(query)  # whole words only: ask for a second letter, offer no "New …"
    if one_letter:
        st.info(t("search.one_letter", text=esc(query.strip(), 5)), icon=":material/keyboard:")
    results = global_search.search(ctx.conn, query, limit=limit, kinds=kinds.get(chosen or "all"),
                                    actor=ctx.actor)
    if not results:
        if not one_letter:
            st.info(t("search.none", text=esc(query, 80)), icon=":material/search_off:")
            render_new_from(ctx, query)
        return
    tz = ctx.user.get("timezone") or "UTC"
    for item in results:
        _result(item, ctx.lang, tz)
    if len(results) == limit:
        st.caption(t("search.more", n=limit))
    if not one_letter:
        render_new_from(ctx, query)


def render_new_from(ctx, query: str) -> None:
    """Not what you looked for? "New contact named …" and the like open the page's own New dialogs with the
    search's words filled in."""
    name = " ".join(query.split())
    st.caption(t("search.create_hint"))
    with st.container(horizontal=True, gap="small"):
        for kind in ("contact", "company", "deal"):
            if st.button(t("search.new_" + kind, text=esc(name, 40)), key=f"search_new_{kind}", icon=ICONS_NEW[kind]):
                open_form(ctx, kind, name)


def _result(item: dict, lang: str, tz: str) -> None:
    """One result: its name links to the record; what it is and what it belongs to on the line below."""
    kind = item["kind"]
    icon = ACTIVITY_ICONS.get(item.get("activity_kind"), ICONS[kind]) if kind == "activity" else ICONS[kind]
    params = {"id": item["link_id"]} if item.get("link_id") else None
    with st.container(gap=None):  # the link and its line of facts read as one result
        st.page_link(SCRIPTS[item["page"]], label=esc(item["name"] or "—", 120), icon=icon, query_params=params)
        st.caption(" · ".join(details(item, lang, tz)))  # text-safe: details() escapes every database value


def details(item: dict, lang: str, tz: str) -> list[str]:
    """The caption parts of a result, markdown-safe: the type in the user's language, then the record's
    own facts (database text escaped)."""
    from components.calendar import to_local

    kind = item["kind"]
    if kind == "activity":
        parts = [t("kinds." + item["activity_kind"])]
        if item.get("at"):
            parts.append(esc(moment(to_local(item["at"], tz), lang)))
        parts += [esc(v, 60) for v in (item.get("contact"), item.get("deal") or item.get("company")) if v]
        if item["page"] == "calendar":
            parts.append(t("nav.calendar"))
        return parts
    parts = [t("search.kind_" + kind)]
    if kind == "contact":
        parts += [esc(v, 60) for v in (item.get("related"), item.get("title"), item.get("email")) if v]
    elif kind == "company":
        parts += [esc(v, 60) for v in (item.get("city"), item.get("country")) if v]
    else:
        parts += [esc(v, 60) for v in (item.get("company"), item.get("contact"), item.get("stage")) if v]
        parts.append(esc(money(item.get("amount") or 0, lang)))
    return parts
