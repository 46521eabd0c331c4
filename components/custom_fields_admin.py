"""Admin → Fields: the custom fields of contacts, companies, deals and activities.

List them in order; add one (type, label and help per language, rules, choices, default, who sees and who
edits); edit, reorder, archive and restore; rename a choice (the records follow); change the type (refused
with the data layer's reason when stored values do not fit). Every rule lives in ``db.core.fields``; a refused
change keeps the input and shows its message under the input it concerns (kept in session state across the
rerun, like the New record dialogs).
"""

from __future__ import annotations

import streamlit as st

from components.custom_fields import field_input, forget
from components.flash import flash, show_flash
from components.i18n import LANGUAGES, error_text, t
from components.layout import PageContext
from components.reruns import rerun
from components.text import esc
from db.core import fields
from db.core.errors import DomainError
from db.core.fields import Field

ERRORS = "cfa_errors"  # {"add" | "edit" | "choice" | "type": {input name: message}}
ROLE_CHOICES = ("manager", "rep")  # administrators always see and edit every field
CHOICE_TYPES = ("choice", "multi_choice")
SHOWN_ERRORS = {"labels", "help", "section", "options", "default", "type", "key", "unique", "view_roles",
                "edit_roles"}


def render_fields_admin(ctx: PageContext) -> None:
    st.caption(t("custom_ui.admin_help"))
    entity = st.segmented_control(t("custom_ui.entity"), fields.ENTITIES, default="contacts", key="cfa_entity",
                                  format_func=lambda e: t(f"custom_ui.entity_{e}")) or "contacts"
    every = fields.all_fields(ctx.conn, entity)
    _table(every, ctx.lang)
    show_flash("cfa")
    left, right = st.columns(2, gap="large")
    with left.container(border=True):
        _add(ctx, entity)
    with right.container(border=True):
        _change(ctx, entity, every)


def _type_name(kind: str) -> str:
    return t(f"field_types.{kind}")


def _roles(roles) -> str:
    return ", ".join(t(f"roles.{r}") for r in ("admin", *ROLE_CHOICES) if r == "admin" or r in roles)


def _table(every: list[Field], lang: str) -> None:
    if not every:
        st.info(t("custom_ui.none"), icon=":material/info:")
        return
    yes, no = t("history.yes"), t("history.no")
    st.dataframe([{t("custom_ui.position"): i if not f.archived else None, t("custom_ui.label"): f.label(lang),
                   t("custom_ui.type"): _type_name(f.type), t("custom_ui.required"): yes if f.required else no,
                   t("custom_ui.unique"): yes if f.unique else no, t("custom_ui.section"): f.section,
                   t("custom_ui.view_roles"): _roles(f.view_roles), t("custom_ui.edit_roles"): _roles(f.edit_roles),
                   t("custom_ui.status"): t("custom_ui.archived") if f.archived else t("custom_ui.active"),
                   t("custom_ui.key"): f.key}
                  for i, f in enumerate(every, start=1)], hide_index=True, width="stretch", key="cfa_table")


def _errors(form: str) -> dict:
    return (st.session_state.get(ERRORS) or {}).get(form) or {}


def _err(form: str, name: str) -> None:
    message = _errors(form).get(name)
    if message:
        st.error(message, icon=":material/error:")  # text-safe: error_text output, escaped


def _other_errors(form: str) -> None:
    for name, message in _errors(form).items():
        if name not in SHOWN_ERRORS:
            st.error(message, icon=":material/error:")  # text-safe: error_text output, escaped


def _fail(form: str, err: DomainError) -> None:
    """Keep the message for the input it concerns and rerun (the inputs keep what was typed)."""
    name = getattr(err, "field", None) or "_form"
    st.session_state[ERRORS] = {form: {name if name in SHOWN_ERRORS else "_form": error_text(err)}}
    rerun()


def _done(message: str, prefix: str | None = None) -> None:
    st.session_state.pop(ERRORS, None)
    if prefix:
        forget(prefix)
    flash("cfa", message)
    rerun()


def _per_language(prefix: str, title: str, current: dict, *, limit: int, area: bool = False) -> dict:
    """One input per language, English first; empty ones are left out."""
    out = {}
    cols = st.columns(2) + st.columns(2)  # two to a line: the panel is half the page wide
    for col, (lang, name) in zip(cols, LANGUAGES.items(), strict=True):
        widget = col.text_area if area else col.text_input
        extra = {"height": 68} if area else {}
        value = widget(f"{title} · {lang.upper()}", current.get(lang, ""), max_chars=limit, key=f"{prefix}_{lang}",
                       help=esc(name), **extra)
        if value.strip():
            out[lang] = value.strip()
    return out


def _roles_inputs(prefix: str, view: tuple, edit: tuple) -> tuple[list, list]:
    seen = st.multiselect(t("custom_ui.view_roles"), ROLE_CHOICES, default=[r for r in ROLE_CHOICES if r in view],
                          key=f"{prefix}_view", format_func=lambda r: t(f"roles.{r}"))
    edits = st.multiselect(t("custom_ui.edit_roles"), ROLE_CHOICES, default=[r for r in ROLE_CHOICES if r in edit],
                           key=f"{prefix}_edit", format_func=lambda r: t(f"roles.{r}"))
    st.caption(t("custom_ui.roles_help"))
    return seen, edits


def _options(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(line.strip() for line in (text or "").splitlines() if line.strip()))


def _pseudo(entity: str, kind: str, options: tuple, lang: str) -> Field:
    """A field of the chosen type for the default-value input (not stored)."""
    return Field(id=0, entity=entity, key="default", type=kind, labels={lang: t("custom_ui.default")},
                 help={},  # text-safe: a dataclass, not a widget
                 required=False, default=None, unique=False, position=0, section="", options=options,
                 view_roles=("admin",), edit_roles=("admin",), archived=False, version=0)


def _add(ctx: PageContext, entity: str) -> None:
    st.subheader(t("custom_ui.add"), anchor=False)
    kind = st.selectbox(t("custom_ui.type"), fields.TYPES, key="cfa_add_type", format_func=_type_name)
    _err("add", "type")
    labels = _per_language("cfa_add_label", t("custom_ui.label"), {}, limit=80)
    _err("add", "labels")
    _err("add", "key")
    with st.expander(t("custom_ui.help_text")):
        help_text = _per_language("cfa_add_help", t("custom_ui.help_text"), {}, limit=300, area=True)
    _err("add", "help")
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    section = c1.text_input(t("custom_ui.section"), max_chars=60, key="cfa_add_section",
                            help=t("custom_ui.section_help"))
    required = c2.checkbox(t("custom_ui.required"), key="cfa_add_required")
    unique = c3.checkbox(t("custom_ui.unique"), key="cfa_add_unique", help=t("custom_ui.unique_help"))
    _err("add", "section")
    _err("add", "unique")
    options: tuple = ()
    if kind in CHOICE_TYPES:
        options = _options(st.text_area(t("custom_ui.options"), key="cfa_add_options", max_chars=20_000,
                                        help=t("custom_ui.options_help")))
        _err("add", "options")
    default = field_input(_pseudo(entity, kind, options, ctx.lang), None, lang=ctx.lang, conn=ctx.conn,
                          key=f"cfa_add_default_{kind}_{abs(hash(options))}")
    _err("add", "default")
    view, edit = _roles_inputs("cfa_add", ("manager", "rep"), ("manager", "rep"))
    _other_errors("add")
    if st.button(t("custom_ui.add_button"), type="primary", icon=":material/add:", key="cfa_add_go"):
        spec = {"type": kind, "labels": labels, "help": help_text, "section": section.strip() or None,
                "required": required, "unique": unique, "options": list(options),
                "default": default if default not in (False, [], "") else None,
                "view_roles": view, "edit_roles": edit}
        try:
            made = fields.define(ctx.conn, entity, spec, ctx.actor)
        except DomainError as err:
            _fail("add", err)
        _done(t("custom_ui.added", name=esc(made.label(ctx.lang))), "cfa_add")


def _change(ctx: PageContext, entity: str, every: list[Field]) -> None:
    st.subheader(t("custom_ui.change"), anchor=False)
    if not every:
        st.caption(t("custom_ui.none_to_change"))
        return
    by_id = {f.id: f for f in every}
    picked = st.selectbox(t("custom_ui.pick"), list(by_id), key=f"cfa_pick_{entity}",
                          format_func=lambda i: " · ".join(filter(None, [
                              by_id[i].label(ctx.lang), _type_name(by_id[i].type),
                              t("custom_ui.archived") if by_id[i].archived else ""])))
    field = by_id[picked]
    active = [f for f in every if not f.archived]
    _moves(ctx, field, active)
    if field.archived:
        st.caption(t("custom_ui.archived_help"))
        return
    _edit(ctx, field)
    if field.type in CHOICE_TYPES:
        _rename_choice(ctx, field)
    _change_type(ctx, field)


def _moves(ctx: PageContext, field: Field, active: list[Field]) -> None:
    """Up, down, archive or restore."""
    at = next((i for i, f in enumerate(active) if f.id == field.id), None)
    with st.container(horizontal=True):
        up = st.button(t("custom_ui.up"), icon=":material/arrow_upward:", key="cfa_up",
                       disabled=field.archived or not at)
        down = st.button(t("custom_ui.down"), icon=":material/arrow_downward:", key="cfa_down",
                         disabled=field.archived or at is None or at == len(active) - 1)
        if field.archived:
            toggle = st.button(t("custom_ui.restore"), icon=":material/unarchive:", key="cfa_restore")
        else:
            toggle = st.button(t("custom_ui.archive"), icon=":material/archive:", key="cfa_archive")
    for message in _errors("move").values():
        st.error(message, icon=":material/error:")  # text-safe: error_text output, escaped
    try:
        if up or down:
            order = [f.id for f in active]
            other = at - 1 if up else at + 1
            order[at], order[other] = order[other], order[at]
            fields.reorder(ctx.conn, field.entity, order, ctx.actor)
            _done(t("custom_ui.moved", name=esc(field.label(ctx.lang))))
        if toggle:
            fields.set_archived(ctx.conn, field.id, not field.archived, ctx.actor)
            _done(t("custom_ui.restored" if field.archived else "custom_ui.archived_done",
                    name=esc(field.label(ctx.lang))))
    except DomainError as err:
        _fail("move", err)


def _edit(ctx: PageContext, field: Field) -> None:
    prefix = f"cfa_edit_{field.id}_{field.version}"  # a new version starts from what was stored
    st.markdown(f"**{t('custom_ui.edit')}**")
    labels = _per_language(f"{prefix}_label", t("custom_ui.label"), field.labels, limit=80)
    _err("edit", "labels")
    with st.expander(t("custom_ui.help_text")):
        help_text = _per_language(f"{prefix}_help", t("custom_ui.help_text"), field.help, limit=300, area=True)
    _err("edit", "help")
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    section = c1.text_input(t("custom_ui.section"), field.section, max_chars=60, key=f"{prefix}_section",
                            help=t("custom_ui.section_help"))
    required = c2.checkbox(t("custom_ui.required"), field.required, key=f"{prefix}_required")
    unique = c3.checkbox(t("custom_ui.unique"), field.unique, key=f"{prefix}_unique", help=t("custom_ui.unique_help"))
    _err("edit", "section")
    _err("edit", "unique")
    options = field.options
    if field.type in CHOICE_TYPES:
        options = _options(st.text_area(t("custom_ui.options"), "\n".join(field.options), max_chars=20_000,
                                        key=f"{prefix}_options", help=t("custom_ui.options_edit_help")))
        _err("edit", "options")
    shape = _pseudo(field.entity, field.type, options, ctx.lang)
    default = field_input(shape, field.default, lang=ctx.lang, conn=ctx.conn,
                          key=f"{prefix}_default_{abs(hash(options))}")
    _err("edit", "default")
    view, edit = _roles_inputs(prefix, field.view_roles, field.edit_roles)
    _other_errors("edit")
    if st.button(t("custom_ui.save"), type="primary", icon=":material/save:", key="cfa_save"):
        changes = {"labels": labels, "help": help_text, "section": section.strip() or None, "required": required,
                   "unique": unique, "default": default if default not in (False, [], "") else None,
                   "view_roles": ["admin", *view], "edit_roles": ["admin", *edit]}
        if field.type in CHOICE_TYPES:
            changes["options"] = list(options)
        try:
            saved = fields.change(ctx.conn, field.id, field.version, changes, ctx.actor)
        except DomainError as err:
            _fail("edit", err)
        _done(t("custom_ui.saved", name=esc(saved.label(ctx.lang))))


def _rename_choice(ctx: PageContext, field: Field) -> None:
    st.markdown(f"**{t('custom_ui.rename_choice')}**")
    c1, c2 = st.columns(2)
    old = c1.selectbox(t("custom_ui.choice_old"), field.options, key=f"cfa_rename_old_{field.id}")
    new = c2.text_input(t("custom_ui.choice_new"), max_chars=100, key=f"cfa_rename_new_{field.id}")
    _err("choice", "options")
    _other_errors("choice")
    if st.button(t("custom_ui.rename"), icon=":material/edit:", key="cfa_rename_go"):
        try:
            n = fields.rename_choice(ctx.conn, field.id, old, new, ctx.actor)
        except DomainError as err:
            _fail("choice", err)
        st.session_state.pop(f"cfa_rename_new_{field.id}", None)
        _done(t("custom_ui.renamed", n=n))


def _change_type(ctx: PageContext, field: Field) -> None:
    st.markdown(f"**{t('custom_ui.change_type')}**")
    st.caption(t("custom_ui.change_type_help", type=t(f"field_types.{field.type}")))
    targets = [k for k in fields.TYPES if k != field.type]
    new_type = st.selectbox(t("custom_ui.new_type"), targets, key=f"cfa_type_{field.id}", format_func=_type_name)
    options: tuple = ()
    if new_type in CHOICE_TYPES and field.type not in CHOICE_TYPES:
        options = _options(st.text_area(t("custom_ui.options"), max_chars=20_000, key=f"cfa_type_options_{field.id}",
                                        help=t("custom_ui.options_help")))
        _err("type", "options")
    _err("type", "type")
    _other_errors("type")
    if st.button(t("custom_ui.change_type_button"), icon=":material/swap_horiz:", key="cfa_type_go"):
        try:
            fields.change_type(ctx.conn, field.id, new_type, ctx.actor, options=list(options) or None)
        except DomainError as err:
            _fail("type", err)
        _done(t("custom_ui.type_changed", name=esc(field.label(ctx.lang)), type=_type_name(new_type)))
