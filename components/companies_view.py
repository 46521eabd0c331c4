"""Companies list (on the shared grid) and the company record."""

from __future__ import annotations

import streamlit as st

from components import custom_columns, grid
from components.contact_record import render_entries
from components.custom_fields import record_form
from components.export import export_buttons
from components.flash import flash, saved_message, show_flash
from components.follow_up import render_log_form, render_next_step
from components.history import render_history
from components.i18n import day, error_text, money, money_column_format, number, percent, t
from components.import_panel import render_import
from components.layout import PageContext, folded, form_beside, nav_link, show_error
from components.new_record import page_header
from components.reruns import rerun
from components.saved_views import apply_from_url, render_save
from components.text import esc
from db.analytics import customer_kpi
from db.core.errors import ConflictError, DomainError, ValidationError
from db.crm import companies, contacts, custom, timeline

KEY = "companies_grid"


def render_companies(ctx: PageContext) -> None:
    page_header(ctx, t("nav.companies"), "company")
    apply_from_url(ctx, "companies")
    c1, c2, c3 = st.columns([3, 1.2, 1])
    search = c1.text_input(t("companies.search"), key="co_search", max_chars=100, placeholder=t("companies.search_hint"))
    found = custom.shown(ctx.conn, "companies", ctx.actor)
    extra_sorts = custom_columns.sort_options(found, ctx.lang)
    sort = c2.selectbox(t("contacts.sort"), [*companies.SORTS, *extra_sorts], key="co_sort",
                        format_func=lambda s: extra_sorts.get(s) or t(f"companies.sort_{s}"))
    mine = c3.toggle(t("contacts.mine"), key="co_mine")
    owner = ctx.user["id"] if mine else None
    owners = contacts.choices(ctx.conn)["owner_id"]
    conditions = custom_columns.more_filters(found, "co", ctx.lang, owners)
    render_save(ctx, "companies")
    signature = repr((search, owner, sort, conditions))
    if st.session_state.get("co_signature") != signature:  # new filters: back to page one
        st.session_state["co_signature"] = signature
        grid.reset_page(KEY)
    try:
        total = companies.page(ctx.conn, search, owner, sort, limit=0, custom_filters=conditions, actor=ctx.actor)[1]
    except ValidationError as err:
        st.error(error_text(custom_columns.name_field(err, found, ctx.lang)), icon=":material/error:")
        return
    size, offset = grid.pager(KEY, total, ctx.lang)
    shown, _ = companies.page(ctx.conn, search, owner, sort, limit=size, offset=offset, custom_filters=conditions,
                              actor=ctx.actor, total=total)
    for r in shown:
        r["open"] = f"/companies?id={r['id']}"
    custom_columns.shown_rows(shown, found, custom.link_names(ctx.conn, shown, found))
    config = {
        "open": st.column_config.LinkColumn("", display_text="↗", width="small", disabled=True),
        "name": st.column_config.TextColumn(t("companies.name"), max_chars=200, required=True),
        "industry": st.column_config.TextColumn(t("companies.industry"), max_chars=80),
        "city": st.column_config.TextColumn(t("companies.city"), max_chars=100),
        "country": st.column_config.TextColumn(t("companies.country"), max_chars=2),
        "website": st.column_config.LinkColumn(t("companies.website"), max_chars=300),
        "owner_id": st.column_config.SelectboxColumn(t("contacts.owner"), options=list(owners),
                                                     format_func=lambda v: owners.get(v, "")),
        "lifecycle": st.column_config.SelectboxColumn(t("contacts.lifecycle"), options=list(contacts.LIFECYCLES),
                                                      format_func=lambda v: t(f"contacts.lifecycle_{v}")),
        "contacts": st.column_config.NumberColumn(t("companies.contacts"), disabled=True),
        "open_deals": st.column_config.NumberColumn(t("companies.open_deals"), disabled=True),
        "revenue": st.column_config.NumberColumn(t("kpi.revenue"), disabled=True, format=money_column_format()),
        **custom_columns.columns(found, ctx.actor, ctx.lang, owners),
    }
    key = f"{KEY}_{offset}_{size}"
    changes = grid.editable(key, shown, config, ["open", "name", "industry", "city", "country", "website",
                                                 "owner_id", "lifecycle", "contacts", "open_deals", "revenue",
                                                 *(f.column for f in found)],
                            empty=t("companies.none_found"), allow_add=False)  # new ones: the New company dialog
    n = len(changes.edits) + len(changes.added) + len(changes.deleted)
    if st.button(t("contacts.save", n=n), type="primary", disabled=not changes.ready, key="co_save",
                 icon=":material/save:"):
        edits = [(o, {k: v for k, v in d.items() if k in companies.EDITABLE or k.startswith("cf_")})
                 for o, d in custom_columns.edits(changes.edits, found)]
        try:
            result = companies.save_grid(ctx.conn, [e for e in edits if e[1]],
                                         [custom_columns.stored(a, found) for a in changes.added], changes.deleted,
                                         ctx.actor)
        except ConflictError as err:
            st.error(t("contacts.conflict", detail=error_text(custom_columns.name_field(err, found, ctx.lang))))
            st.info(t("record.kept"))
        except ValidationError as err:
            custom_columns.name_field(err, found, ctx.lang)
            st.error((t("contacts.row", row_no=err.row) + ": " if err.row else "") + error_text(err))  # text-safe: row no.
        except DomainError as err:
            show_error(custom_columns.name_field(err, found, ctx.lang))
        else:
            grid.forget(key)
            flash(KEY, saved_message(result["updated"], len(result["created"]), len(result["deleted"])))
            rerun()
    show_flash(KEY)
    st.caption(t("companies.grid_help"))
    render_import(ctx, "companies")
    with st.expander(t("export.title"), icon=":material/download:"):
        if total > companies.EXPORT_CAP:
            st.warning(t("export.capped", n=companies.EXPORT_CAP))
        export_buttons("companies", lambda conn: companies.export_rows(conn, search, owner, sort,
                                                                       custom_filters=conditions, actor=ctx.actor,
                                                                       lang=ctx.lang), key="co_export")


def render_company(ctx: PageContext, company_id: int) -> None:
    """The company record, like the customer record: figures, next step, one timeline with logging, the people,
    deals, notes and history."""
    nav_link(ctx, "companies", label=t("companies.back"), icon=":material/arrow_back:")
    try:
        company = companies.detail(ctx.conn, company_id)
    except DomainError as err:
        show_error(err)
        return
    st.title(esc(company["name"]))
    st.caption(" · ".join(filter(None, [esc(company["industry"] or ""), esc(company["city"] or ""),
                                        esc(company["country"] or ""), esc(company["owner"] or "")])))
    key = f"company_{company_id}"
    render_next_step(ctx, key, {"company_id": company_id})
    _company_figures(ctx, company_id)
    time_tab, details, people, deals_tab, notes, history = st.tabs([
        t("record.timeline"), t("record.details"), t("companies.contacts"), t("nav.deals"), t("companies.notes"),
        t("history.tab")])
    with time_tab:
        left, right = form_beside()
        with right:
            render_log_form(ctx, key, company_id=company_id)
        with left:
            _company_timeline(ctx, company_id)
    with details:
        _company_details(ctx, company)
    with people:
        for p in company["people"]:
            nav_link(ctx, "contacts", label=" · ".join(filter(None, [f"{esc(p['first_name'])} {esc(p['last_name'])}", esc(p["title"])])),
                     icon=":material/person:", query_params={"id": p["id"]})
        if not company["people"]:
            st.caption(t("record.empty"))
    with deals_tab:
        for d in company["deals"]:
            nav_link(ctx, "deals", label=f"{esc(d['title'])} · {esc(d['stage'])} · {money(d['amount'], ctx.lang)}",
                     icon=":material/handshake:", query_params={"id": d["id"]})
        if not company["deals"]:
            st.caption(t("record.empty"))
    with notes:  # notes on the company itself, such as the columns an import kept
        for n in company["notes"]:
            with st.container(border=True):
                st.markdown(f"**{esc(n['subject'])}** · {esc(n['created_at'])} · {esc(n['who'] or '')}")
                st.text(n["notes"])
        if not company["notes"]:
            st.caption(t("record.empty"))
    with history:
        render_history(ctx, "companies", company_id)


def _company_details(ctx: PageContext, company: dict) -> None:
    """The company's own fields and its custom fields in one form (components.custom_fields.record_form)."""
    key = f"co_details_{company['id']}"

    def builtin(row: dict) -> dict:
        out = {}
        for i, (column, label_key) in enumerate((("name", "companies.name"), ("industry", "companies.industry"),
                                                 ("website", "companies.website"), ("phone", "contacts.phone"),
                                                 ("city", "companies.city"), ("country", "companies.country"),
                                                 ("tags", "contacts.tags"))):
            if i % 2 == 0:  # row by row: a narrow screen keeps the reading order
                cols = st.columns(2)
            out[column] = cols[i % 2].text_input(t(label_key), row[column] or "", max_chars=companies.LIMITS[column],
                                                 key=f"{key}_{column}")
        return out

    record_form(ctx, "companies", company, key=key, builtin=builtin,
                save=lambda version, changes: companies.update(ctx.conn, company["id"], version, changes, ctx.actor))


def _company_figures(ctx: PageContext, company_id: int) -> None:
    f = customer_kpi.company_figures(ctx.conn, company_id)
    shown = [("kpi.revenue", money(f["revenue"], ctx.lang), t("kpi.revenue_help")),
             ("companies.open_deals", (f"{number(f['open_deals'], ctx.lang)} · {money(f['pipeline'], ctx.lang)}" if f["open_deals"] else "0"),
              t("companies.open_deals_help")),
             ("companies.contacts", number(f["contacts"], ctx.lang), None),
             ("companies.last_activity", day(f["last_activity"], ctx.lang), t("companies.last_activity_help")),
             ("kpi.csat", percent(f["csat"], ctx.lang), t("companies.csat_help")),
             ("kpi.nps", number(f["nps"], ctx.lang, 0) if f["nps"] is not None else "—", t("companies.nps_help"))]
    with folded(t("record.figures"), ":material/monitoring:"):  # six stacked cards fill a phone's screen
        cols = st.columns(3) + st.columns(3)
        for col, (label, value, help_text) in zip(cols, shown, strict=False):
            col.metric(t(label), value, help=help_text, border=True)  # text-safe: numbers and our own t() strings


def _company_timeline(ctx: PageContext, company_id: int) -> None:
    """One page of the company's timeline (its own, its contacts' and its deals' entries), with a pager."""
    kinds = st.pills(t("record.show"), timeline.COMPANY_KINDS, selection_mode="multi", key=f"co_tl_kinds_{company_id}",
                     format_func=lambda k: t(f"kinds.{k}"))
    page_key = f"co_tl_page_{company_id}_{','.join(kinds or [])}"
    page_no = st.session_state.get(page_key, 0)
    entries, more = timeline.company_timeline(ctx.conn, company_id, kinds or None, limit=timeline.PAGE,
                                              offset=page_no * timeline.PAGE)
    if not entries:
        st.caption(t("record.empty"))
    render_entries(ctx, entries, "companies")
    if page_no or more:
        b1, b2, b3 = st.columns([1, 1, 3], vertical_alignment="center")
        if b1.button(t("companies.newer"), key=f"{page_key}_prev", disabled=page_no == 0, icon=":material/chevron_left:"):
            st.session_state[page_key] = page_no - 1
            rerun()
        if b2.button(t("companies.older"), key=f"{page_key}_next", disabled=not more, icon=":material/chevron_right:"):
            st.session_state[page_key] = page_no + 1
            rerun()
        b3.caption(t("companies.page", page=page_no + 1))  # text-safe: a page number
