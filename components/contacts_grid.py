"""The contacts list: filters, the reusable grid, save with conflict handling, bulk actions, export."""

from __future__ import annotations

from datetime import date

import streamlit as st

from components import custom_columns, grid
from components.contact_merge import render_duplicates
from components.export import export_buttons
from components.flash import flash, saved_message, show_flash
from components.i18n import channel_label, date_format, error_text, t
from components.import_panel import render_import
from components.layout import PageContext, filter_area, show_error
from components.links import mail_href, tel_href
from components.new_record import page_header
from components.reruns import rerun
from components.saved_views import apply_from_url, render_save
from db.core import records, settings
from db.core.errors import ConflictError, DomainError, ValidationError
from db.crm import contacts, custom

KEY = "contacts_grid"


FILTER_KEYS = ("c_search", "c_lifecycle", "c_owner", "c_channel", "c_segment", "c_campaign", "c_tag", "c_created", "c_mine")


def filters(ctx: PageContext, options: dict, found: list | None = None) -> contacts.Query:
    with filter_area(sum(1 for k in FILTER_KEYS if st.session_state.get(k))):
        return _filters(ctx, options, found)


def _filters(ctx: PageContext, options: dict, found: list | None = None) -> contacts.Query:
    c1, c2, c3, c4, c5 = st.columns([3, 1.2, 1.2, 1.2, 1.2])
    search = c1.text_input(t("contacts.search"), key="c_search", max_chars=200, placeholder=t("contacts.search_hint"))
    lifecycle = c2.selectbox(t("contacts.lifecycle"), [None, *contacts.LIFECYCLES], key="c_lifecycle",
                             format_func=lambda v: t("dashboard.all") if v is None else t(f"contacts.lifecycle_{v}"))
    owners = options["owner_id"]
    mine = st.session_state.get("c_mine", False)
    owner = c3.selectbox(t("contacts.owner"), [None, *owners], key="c_owner", disabled=mine,
                         format_func=lambda v: t("dashboard.all") if v is None else owners[v])
    channels = settings.get(ctx.conn, "channels")
    channel = c4.selectbox(t("contacts.channel"), [None, *channels], key="c_channel",
                           format_func=lambda v: t("dashboard.all") if v is None else channel_label(v))
    segment = c5.selectbox(t("dashboard.segment"), [None, "A", "B", "C"], key="c_segment",
                           format_func=lambda v: t("dashboard.all") if v is None else v)
    d1, d2, d3, d4, d5 = st.columns([1.2, 1.2, 1.6, 1.2, 1.2])
    campaigns = options["campaign_id"]
    campaign = d1.selectbox(t("contacts.campaign"), [None, *campaigns], key="c_campaign",
                            format_func=lambda v: t("dashboard.all") if v is None else campaigns[v])
    tag = d2.selectbox(t("contacts.tag"), [None, *settings.get(ctx.conn, "tags")], key="c_tag",
                       format_func=lambda v: t("dashboard.all") if v is None else v)
    created = d3.date_input(t("contacts.created"), format=date_format(), value=(), key="c_created", max_value=date.today())
    extra_sorts = custom_columns.sort_options(found or [], ctx.lang)
    sort = d4.selectbox(t("contacts.sort"), [*contacts.SORTS, *extra_sorts], key="c_sort",
                        format_func=lambda v: extra_sorts.get(v) or t(f"contacts.sort_{v}"))
    d5.toggle(t("contacts.mine"), key="c_mine")
    created_from = created[0].isoformat() if len(created) > 0 else None
    created_to = created[1].isoformat() if len(created) > 1 else None
    conditions = custom_columns.more_filters(found or [], "c", ctx.lang, owners)
    return contacts.Query(search=search, lifecycle=lifecycle, owner_id=ctx.user["id"] if mine else owner,
                          channel=channel, campaign_id=campaign, tag=tag, segment=segment,
                          created_from=created_from, created_to=created_to, sort=sort, custom=conditions)


def render_contacts(ctx: PageContext) -> None:
    page_header(ctx, t("nav.contacts"), "contact")
    apply_from_url(ctx, "contacts")
    options = contacts.choices(ctx.conn)
    found = custom.shown(ctx.conn, "contacts", ctx.actor)
    query = filters(ctx, options, found)
    render_save(ctx, "contacts")
    signature = repr(query)
    if st.session_state.get("c_signature") != signature:  # new filters: back to page one
        st.session_state["c_signature"] = signature
        grid.reset_page(KEY)
    try:
        total = contacts.page(ctx.conn, query, limit=0, actor=ctx.actor)[1]
    except ValidationError as err:  # a filter value that is not one (a number field given text)
        st.error(error_text(custom_columns.name_field(err, found, ctx.lang)), icon=":material/error:")
        return
    size, offset = grid.pager(KEY, total, ctx.lang)
    page_rows, _ = contacts.page(ctx.conn, query, limit=size, offset=offset, actor=ctx.actor, total=total)
    for r in page_rows:
        r["open"] = f"/contacts?id={r['id']}"
        r["mail"], r["dial"] = mail_href(r["email"]), tel_href(r["phone"])
    companies = contacts.companies_named(ctx.conn, {r["company_id"] for r in page_rows if r["company_id"]})
    channels = list(dict.fromkeys([*settings.get(ctx.conn, "channels"), *(r["channel"] for r in page_rows if r["channel"])]))
    custom_columns.shown_rows(page_rows, found, custom.link_names(ctx.conn, page_rows, found))
    config = {**_columns(options, companies, channels),
              **custom_columns.columns(found, ctx.actor, ctx.lang, options["owner_id"])}
    changes = grid.editable(f"{KEY}_{offset}_{size}", page_rows, config,
                            ["open", "first_name", "last_name", "email", "mail", "phone", "dial", "company_id", "title", "lifecycle",
                             "owner_id", "channel", "campaign_id", "tags", *(f.column for f in found)],
                            empty=t("contacts.none_found"),
                            allow_add=False)  # a new contact goes through the New contact dialog (checks, duplicates)
    _save_bar(ctx, changes, f"{KEY}_{offset}_{size}", found)
    _bulk(ctx, changes, options)
    render_import(ctx, "contacts")
    if ctx.actor.is_manager:
        render_duplicates(ctx)
    _export(ctx, query, total)


def _columns(options: dict, companies: dict, channels: list[str]) -> dict:
    owners, campaigns = options["owner_id"], options["campaign_id"]
    return {
        "open": st.column_config.LinkColumn("", display_text="↗", width="small", disabled=True),
        "first_name": st.column_config.TextColumn(t("contacts.first_name"), max_chars=100, required=True),
        "last_name": st.column_config.TextColumn(t("contacts.last_name"), max_chars=100),
        "email": st.column_config.TextColumn(t("contacts.email"), max_chars=320),
        "phone": st.column_config.TextColumn(t("contacts.phone"), max_chars=40),
        # Read-only link columns beside the editable ones: a click on the address edits it, a click here writes
        # or calls (built from the saved value; a row's new, unsaved value gets its link after the save).
        "mail": st.column_config.LinkColumn("✉", display_text="✉", width="small", disabled=True,
                                            help=t("contacts.mail_link")),
        "dial": st.column_config.LinkColumn("☎", display_text="☎", width="small", disabled=True,
                                            help=t("contacts.dial_link")),
        "company_id": st.column_config.SelectboxColumn(t("contacts.company"), options=list(companies),
                                                       format_func=lambda v: companies.get(v, "")),
        "title": st.column_config.TextColumn(t("contacts.title"), max_chars=120),
        "lifecycle": st.column_config.SelectboxColumn(t("contacts.lifecycle"), options=list(contacts.LIFECYCLES),
                                                      format_func=lambda v: t(f"contacts.lifecycle_{v}"),
                                                      required=True, default="lead"),
        "owner_id": st.column_config.SelectboxColumn(t("contacts.owner"), options=list(owners),
                                                     format_func=lambda v: owners.get(v, "")),
        "channel": st.column_config.SelectboxColumn(t("contacts.channel"), options=channels, format_func=channel_label),
        "campaign_id": st.column_config.SelectboxColumn(t("contacts.campaign"), options=list(campaigns),
                                                        format_func=lambda v: campaigns.get(v, "")),
        "tags": st.column_config.TextColumn(t("contacts.tags"), max_chars=300),
    }


def _save_bar(ctx: PageContext, changes: grid.GridEdits, key: str, found: list) -> None:
    cols = st.columns([1, 1, 4])
    undo = st.session_state.get("c_undo")
    if cols[0].button(t("contacts.save", n=len(changes.edits) + len(changes.added) + len(changes.deleted)),
                      type="primary", disabled=not changes.ready, key="c_save", icon=":material/save:"):
        try:
            result = contacts.save_grid(ctx.conn, custom_columns.edits(changes.edits, found),
                                        [custom_columns.stored(a, found) for a in changes.added], changes.deleted,
                                        ctx.actor)
        except ConflictError as err:
            custom_columns.name_field(err, found, ctx.lang)
            where = t("contacts.row", row_no=err.row) + " — " if getattr(err, "row", None) else ""
            st.error(t("contacts.conflict", detail=where + error_text(err)),  # text-safe: a row number
                     icon=":material/sync_problem:")
            st.info(t("record.kept"))
        except ValidationError as err:
            custom_columns.name_field(err, found, ctx.lang)
            where = t("contacts.row", row_no=err.row) + ": " if err.row else ""
            st.error(where + error_text(err), icon=":material/error:")  # text-safe: a row number
        except DomainError as err:
            show_error(custom_columns.name_field(err, found, ctx.lang))
        else:
            grid.forget(key)
            st.session_state["c_undo"] = result["deleted"] or None
            flash(KEY, saved_message(result["updated"], len(result["created"]), len(result["deleted"])))
            rerun()
    if undo and cols[1].button(t("contacts.undo", n=len(undo)), icon=":material/undo:", key="c_undo_button"):
        for cid in undo:
            records.restore(ctx.conn, "contacts", cid, ctx.actor)
        st.session_state["c_undo"] = None
        flash(KEY, t("contacts.restored", n=len(undo)))
        rerun()
    cols[2].caption(t("contacts.grid_help"))
    show_flash(KEY)


def _bulk(ctx: PageContext, changes: grid.GridEdits, options: dict) -> None:
    if not changes.selected:
        return
    with st.container(border=True):
        st.markdown(t("contacts.bulk_title", n=len(changes.selected)))
        c1, c2, c3 = st.columns([1.5, 2, 1])
        action = c1.selectbox(t("contacts.bulk_action"), ["owner", "lifecycle", "tag", "delete"], key="c_bulk_action",
                              format_func=lambda a: t(f"contacts.bulk_{a}"))
        value = None
        if action == "owner":
            value = c2.selectbox(t("contacts.owner"), list(options["owner_id"]), key="c_bulk_owner",
                                 format_func=lambda v: options["owner_id"][v])
        elif action == "lifecycle":
            value = c2.selectbox(t("contacts.lifecycle"), contacts.LIFECYCLES, key="c_bulk_lifecycle",
                                 format_func=lambda v: t(f"contacts.lifecycle_{v}"))
        elif action == "tag":
            value = c2.text_input(t("contacts.tag"), key="c_bulk_tag", max_chars=40)
        if c3.button(t("contacts.apply"), key="c_bulk_apply", type="primary"):
            try:
                n = contacts.bulk(ctx.conn, [r["id"] for r in changes.selected], action, value, ctx.actor)
                if action == "delete":
                    st.session_state["c_undo"] = [r["id"] for r in changes.selected]
                flash(KEY, t("contacts.bulk_done", n=n))
                for key in [k for k in st.session_state if str(k).startswith(KEY)]:
                    st.session_state.pop(key, None)
                rerun()
            except DomainError as err:
                show_error(err)


def _export(ctx: PageContext, query: contacts.Query, total: int) -> None:
    with st.expander(t("contacts.export"), icon=":material/download:"):
        if total > contacts.EXPORT_CAP:
            st.warning(t("export.capped", n=contacts.EXPORT_CAP))
        export_buttons("contacts", lambda conn: contacts.export_rows(conn, query, actor=ctx.actor, lang=ctx.lang),
                       key="c_export")

