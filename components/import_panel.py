"""The import panel (contacts page, companies page): upload, encoding, columns, values, check, import.

Every column of the file is shown with where it goes; nothing is dropped without the user seeing it.
"""

from __future__ import annotations

import json
import zlib

import streamlit as st

from components.i18n import current_language, error_text, t
from components.layout import PageContext
from components.reruns import rerun
from components.text import esc
from db.core import users
from db.core.errors import DomainError
from db.crm import contacts
from db.io import import_read, importer
from db.io.import_map import CUSTOM, NOTE, TARGETS

PREVIEW_ROWS = 20
PROBLEM_ROWS = 500
SHOWN_PROBLEMS = 8
NEW_FIELDS = 15  # columns offered as new fields at once
# The types a new field from a column may get (links to people and records need ids, not a file's text).
NEW_TYPES = ("text", "long_text", "number", "money", "percent", "date", "datetime", "checkbox", "choice",
             "multi_choice", "url", "email", "phone")


def _target_label(table: str, target: str | None, custom: dict | None = None) -> str:
    if target is None:
        return t("import.skip")
    if target == NOTE:
        return t("import.keep_note")
    if target.startswith(CUSTOM):
        field = (custom or {}).get(target)
        return t("import.custom_target", label=field.label(current_language()) if field else target[len(CUSTOM):])
    return t(f"import.{table}_{target}")


def render_import(ctx: PageContext, table: str = "contacts") -> None:
    """The whole flow in one expander; a finished import resets the uploader and says what was done."""
    with st.expander(t(f"import.title_{table}"), icon=":material/upload_file:"):
        done = st.session_state.pop(f"imp_{table}_done", None)
        if done:
            parts = [t(f"import.done_{k}", n=done[k]) for k in ("updated", "skipped", "merged", "companies", "notes",
                                                               "left_out") if done.get(k)]
            st.success(", ".join([t("import.done", n=done["created"]), *parts]) + ".",  # text-safe: counts
                       icon=":material/check_circle:")
        round_ = st.session_state.get(f"imp_{table}_round", 0)
        limits = t("import.file_help", mb=import_read.MAX_MB, n=import_read.MAX_ROWS)
        upload = st.file_uploader(t("import.file"), type=["csv", "tsv", "txt", "xlsx", "xlsm"],
                                  key=f"imp_{table}_file_{round_}", help=limits)
        if upload is None:
            st.caption(t("import.help"))
            return
        try:
            _flow(ctx, table, upload, f"imp_{table}_{upload.file_id}")
        except DomainError as err:
            st.error(error_text(err), icon=":material/error:")


def _flow(ctx: PageContext, table: str, upload, k: str) -> None:
    raw, name = upload.getvalue(), upload.name
    excel = raw[:4] == b"PK\x03\x04" or name.lower().endswith((".xlsx", ".xlsm"))
    encoding = None
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    if not excel and raw.strip() and len(raw) <= import_read.MAX_BYTES and raw[:4] != b"\xd0\xcf\x11\xe0":
        detected = import_read.detect(raw)
        encoding = c2.selectbox(t("import.encoding"), [None, *import_read.ENCODINGS], key=f"{k}_enc",
                                format_func=lambda e: t("import.encoding_auto", name=import_read.label(detected))
                                if e is None else import_read.label(e), help=t("import.encoding_help"))
    source = _read(raw, name, encoding)
    how = t("import.excel") if source.encoding == importer.EXCEL else t(
        "import.encoding_used", name=import_read.label(source.encoding))
    c1.markdown(t("import.read", n=len(source.rows), columns=t("import.columns", n=len(source.headers)), how=how))  # text-safe: our labels

    st.markdown("##### " + t("import.step_columns"))
    st.caption(t(f"import.columns_help_{table}"))
    custom = {CUSTOM + f.key: f for f in importer.mappable_fields(ctx.conn, table, ctx.actor)}
    mapping = _columns(table, source, k, custom)
    _new_fields(ctx, table, source, mapping, k)

    values = {}
    offered = importer.choice_values(ctx.conn, source, mapping, table)
    if offered:
        st.markdown("##### " + t("import.step_values"))
        st.caption(t("import.values_help"))
        values = _values(ctx, table, offered, k)

    st.markdown("##### " + t("import.step_check"))
    policy = st.session_state.get(f"{k}_policy", "merge")
    planned = _plan(ctx, table, source, mapping, values, policy, k)
    summary = st.container()  # filled once the duplicate choices below are known
    skip_bad = _problems(planned, k)
    choices = _existing(table, planned, k)
    with summary:
        _summary(table, planned, k, choices)
    _preview(table, planned, users.people(ctx.conn, include_inactive=True), ctx.actor.id)

    todo = planned.importable(skip_bad=True)
    n = sum(1 for r in todo if not r.duplicate_of or choices.get(r.line, "skip") != "skip")
    blocked = bool(planned.bad) and not skip_bad
    if not todo:
        st.info(t("import.nothing_to_import"), icon=":material/info:")
        return
    if st.button(t(f"import.go_{table}", n=n), type="primary", key=f"{k}_go", disabled=blocked,  # text-safe: a count
                 icon=":material/upload:"):
        bar = st.progress(0.0, text=t("import.working"))
        try:
            done = importer.commit(ctx.conn, planned, choices, ctx.actor, skip_bad=skip_bad,
                                   note_subject=t("import.note_subject", file=name[:120]),
                                   progress=lambda p: bar.progress(min(p, 1.0), text=t("import.working")))
        except DomainError as err:
            bar.empty()
            st.error(t("import.nothing") + " " + error_text(err), icon=":material/error:")
            return
        st.session_state[f"imp_{table}_done"] = done
        st.session_state[f"imp_{table}_round"] = st.session_state.get(f"imp_{table}_round", 0) + 1
        rerun()


def _plan(ctx: PageContext, table: str, source: importer.Table, mapping: dict, values: dict, policy: str,
          k: str) -> importer.Plan:
    """The plan, kept while the file, its mapping, values and policy and the data are unchanged: choosing
    what to do with a duplicate or leaving bad rows out does not re-check 50 000 rows."""
    signature = json.dumps([source.encoding, mapping, values, policy, ctx.actor.id, importer.change_token(ctx.conn)],
                           sort_keys=True, default=str)
    kept = st.session_state.get(f"{k}_plan")
    if kept and kept[0] == signature:
        return kept[1]
    with st.spinner(t("import.checking", n=len(source.rows))):
        planned = importer.plan(ctx.conn, source, mapping, target=table, values=values, policy=policy,
                                actor=ctx.actor, lang=current_language())
    for old in [name for name in st.session_state if str(name).startswith(f"imp_{table}_") and str(name).endswith(
            "_plan")]:
        del st.session_state[old]  # one kept plan per panel: an earlier file's may be large
    st.session_state[f"{k}_plan"] = (signature, planned)
    return planned


@st.cache_data(max_entries=4, show_spinner=False)
def _read(raw: bytes, name: str, encoding: str | None) -> importer.Table:
    """Parsed once per file and encoding, not on every rerun of the preview's widgets."""
    return importer.read(raw, name, encoding=encoding)


def _columns(table: str, source: importer.Table, k: str, custom: dict) -> dict[str, str | None]:
    """One line per column of the file: an example value and where it goes (a select). Custom fields the
    person may change are targets too; a column named like one goes to it."""
    guessed = importer.guess_mapping(source.headers, table, list(custom.values()))
    seed = st.session_state.get(f"{k}_map_seed") or {}  # the choices made before a field was created
    start = {h: seed[h] if h in seed and (seed[h] in custom or not str(seed[h]).startswith(CUSTOM)) else guessed[h]
             for h in source.headers}
    options = [None, NOTE, *[f for f in TARGETS[table] if f != NOTE], *custom]
    labels = {_target_label(table, f, custom): f for f in options}
    examples = {}
    for i, h in enumerate(source.headers):
        examples[h] = next((c[i].strip()[:60] for c in source.rows[:200] if i < len(c) and c[i].strip()), "")
    rows = [{"column": h, "example": examples[h], "target": _target_label(table, start[h], custom)}
            for h in source.headers]
    edited = st.data_editor(
        rows, key=f"{k}_map_{st.session_state.get(f'{k}_map_round', 0)}", hide_index=True, width="stretch",
        disabled=["column", "example"], height=min(35 * (len(rows) + 1) + 3, 430),
        column_config={"column": st.column_config.TextColumn(t("import.column"), width="medium"),
                       "example": st.column_config.TextColumn(t("import.example"), width="medium"),
                       "target": st.column_config.SelectboxColumn(t("import.goes_to"), options=list(labels),
                                                                  required=True, width="medium")})
    return {r["column"]: labels.get(r["target"], start[r["column"]]) for r in edited}


def _new_fields(ctx: PageContext, table: str, source: importer.Table, mapping: dict, k: str) -> None:
    """Admins: each column kept in the note can become a new custom field in one click, its type guessed from
    its values (and changeable first); the column then goes to the new field."""
    made = st.session_state.pop(f"{k}_made", None)
    if made:
        st.success(t("import.field_made", label=esc(made)), icon=":material/check_circle:")
    loose = [h for h, f in mapping.items() if f == NOTE]
    if ctx.actor.role != "admin" or not loose:
        return
    with st.container(border=True):
        st.markdown("**" + t("import.new_fields") + "**")  # text-safe: translated
        st.caption(t("import.new_fields_help"))
        for h in loose[:NEW_FIELDS]:
            kind, options = importer.guess_field(source, h)
            slot = f"{k}_nf_{zlib.crc32(h.encode())}"
            c1, c2, c3, c4 = st.columns([2, 2, 3, 1.4], vertical_alignment="center")
            c1.markdown(f"**{esc(h)}**")
            chosen = c2.selectbox(t("import.field_type"), NEW_TYPES, index=NEW_TYPES.index(kind), key=f"{slot}_type",
                                  format_func=lambda x: t(f"field_types.{x}"), label_visibility="collapsed")
            if chosen in ("choice", "multi_choice") and options:
                c3.caption(t("import.field_choices", names=", ".join(esc(o) for o in options[:8])))
            else:
                sample = importer.column_values(source, h)[:3]
                c3.caption(t("import.field_examples", names=", ".join(esc(v[:40]) for v in sample)))
            if c4.button(t("import.create_field"), key=f"{slot}_go", icon=":material/add:"):
                try:
                    field = importer.field_from_column(ctx.conn, source, h, table, chosen, ctx.actor)
                except DomainError as err:
                    st.error(error_text(err), icon=":material/error:")
                    continue
                st.session_state[f"{k}_map_seed"] = {**mapping, h: CUSTOM + field.key}
                st.session_state[f"{k}_map_round"] = st.session_state.get(f"{k}_map_round", 0) + 1
                st.session_state[f"{k}_made"] = field.label(current_language())
                rerun()


def _values(ctx: PageContext, table: str, offered: dict[str, list[dict]], k: str) -> dict[str, dict]:
    """Per choice column: every value of the file, how many rows have it and what it becomes."""
    out = {}
    cols = st.columns(len(offered))
    for col, (choice, found) in zip(cols, offered.items(), strict=True):
        found = found[:200]
        if choice == "lifecycle":
            labels = {t(f"contacts.lifecycle_{v}"): v for v in contacts.LIFECYCLES}
        else:
            known = importer.known_values(ctx.conn, "channel")
            labels = {t("import.keep_value"): "__keep__", t("import.leave_empty"): None, **{v: v for v in known}}
        back = {v: lab for lab, v in labels.items()}
        rows = [{"value": f["value"], "rows": f["rows"], "known": f["known"],
                 "target": back.get(f["suggested"], t("import.keep_value"))} for f in found]
        with col:
            st.markdown(f"**{_target_label(table, choice)}**")  # text-safe: a translated field label
            edited = st.data_editor(
                rows, key=f"{k}_values_{choice}", hide_index=True, width="stretch",
                disabled=["value", "rows", "known"], height=min(35 * (len(rows) + 1) + 3, 320),
                column_config={"value": st.column_config.TextColumn(t("import.value_in_file")),
                               "rows": st.column_config.NumberColumn(t("import.rows"), width="small"),
                               "known": st.column_config.CheckboxColumn(t("import.recognised"), width="small"),
                               "target": st.column_config.SelectboxColumn(t("import.becomes"), options=list(labels),
                                                                          required=True)})
        chosen = {}
        for r in edited:
            value = labels.get(r["target"], "__keep__")
            chosen[r["value"]] = r["value"] if value == "__keep__" else value
        out[choice] = chosen
    return out


def _summary(table: str, planned: importer.Plan, k: str, choices: dict[int, str]) -> None:
    ready = len(planned.importable(skip_bad=True))
    cells = [(t("import.m_ready"), ready), (t("import.m_problems"), len(planned.bad)),
             (t("import.m_repeats"), len(planned.repeats)), (t(f"import.m_existing_{table}"), len(planned.existing))]
    new = planned.companies_to_create(choices)
    if table == "contacts":
        cells.append((t("import.m_new_companies"), len(new)))
    for col, (label_, value) in zip(st.columns(len(cells), border=True), cells, strict=True):
        col.metric(label_, f"{value:,}".replace(",", " "))  # text-safe: translated labels, counts
    if new:
        shown = ", ".join(esc(n) for n in new[:8])
        more = t("import.and_more", n=len(new) - 8) if len(new) > 8 else ""
        st.markdown(t("import.new_companies", n=len(new), names=shown + more))
    if planned.kept:
        st.info(t(f"import.kept_{table}", n=len(planned.kept),
                  names=", ".join(esc(h) for h in planned.kept[:30])), icon=":material/sticky_note_2:")
    if planned.skipped:
        st.caption(t("import.skipped", names=", ".join(esc(h) for h in planned.skipped[:30])))
    if planned.unknown_owners:
        st.warning(t("import.unknown_owners", n=sum(planned.unknown_owners.values()),
                     names=", ".join(esc(o) for o in list(planned.unknown_owners)[:10])),
                   icon=":material/person:")  # text-safe: names escaped, a count
    if planned.unknown_campaigns:
        st.warning(t("import.unknown_campaigns", n=sum(planned.unknown_campaigns.values()),
                     names=", ".join(esc(o) for o in list(planned.unknown_campaigns)[:10])),
                   icon=":material/campaign:")  # text-safe: names escaped, a count
    if planned.repeats:
        st.radio(t("import.repeats", n=len(planned.repeats)), importer.POLICIES, key=f"{k}_policy", horizontal=True,
                 format_func=lambda p: t(f"import.policy_{p}"), help=t(f"import.repeats_help_{table}"))


def _problems(planned: importer.Plan, k: str) -> bool:
    """Every problem at its line and column (the first ones as readable lines, all in a table); the choice
    to leave those rows out."""
    if not planned.bad:
        return False
    found = [p for r in planned.bad for p in r.problems]
    st.error(t("import.problems", n=len(planned.bad)), icon=":material/error:")
    for p in found[:SHOWN_PROBLEMS]:
        where = t("import.at", line=p.line, column=esc(p.column)) if p.column else t("import.at_line", line=p.line)
        st.markdown(f"- **{where}** {error_text(p.error)}")  # text-safe: escaped column, escaped message
    if len(found) > SHOWN_PROBLEMS:
        st.dataframe([{t("import.line"): p.line, t("import.column"): p.column, t("import.problem"): error_text(p.error, plain=True)}
                      for p in found[:PROBLEM_ROWS]], hide_index=True, width="stretch", height=280,
                     column_config={t("import.problem"): st.column_config.TextColumn(width="large")})
    return st.toggle(t("import.skip_bad", n=len(planned.bad)), key=f"{k}_skip_bad")


def _existing(table: str, planned: importer.Plan, k: str) -> dict[int, str]:
    """Rows that match a record already here: skip (default), update it, or create another."""
    found = planned.existing
    if not found:
        return {}
    st.markdown(t(f"import.existing_help_{table}", n=len(found)))
    link = f"/{table}?id="

    def who(r: importer.Row) -> str:
        if table == "companies":
            return r.values.get("name") or ""
        return f"{r.values.get('first_name') or ''} {r.values.get('last_name') or ''}".strip()

    actions = {t(f"import.action_{a}"): a for a in ("skip", "update", "create")}
    edited = st.data_editor(
        [{"line": r.line, "name": who(r), "match": t(f"import.match_{r.reason}"), "existing": f"{link}{r.duplicate_of}",
          "action": t("import.action_skip")} for r in found[:PROBLEM_ROWS]],
        key=f"{k}_dupes", hide_index=True, width="stretch", disabled=["line", "name", "match", "existing"],
        column_config={"line": st.column_config.NumberColumn(t("import.line"), width="small"),
                       "name": st.column_config.TextColumn(t("import.name")),
                       "match": st.column_config.TextColumn(t("import.match")),
                       "existing": st.column_config.LinkColumn(t("import.existing"), display_text="↗", width="small"),
                       "action": st.column_config.SelectboxColumn(t("import.action"), options=list(actions),
                                                                  required=True)})
    return {r["line"]: actions.get(r["action"], "skip") for r in edited}


def _preview(table: str, planned: importer.Plan, people: dict[int, str], me: int | None) -> None:
    """The first rows as they will be written (a row without an owner is the importer's)."""
    rows = planned.importable(skip_bad=True)[:PREVIEW_ROWS]
    if not rows:
        return
    fields = [f for f in TARGETS[table] if f not in (NOTE, "full_name", "full_name_lf", "owner", "company",
                                                      "campaign")]
    if table == "contacts":
        fields = [f for f in fields if f not in ("first_name", "last_name", "country")]
    data = []
    for r in rows:
        item = {t("import.line"): r.line}
        if table == "contacts":
            item[t("import.name")] = f"{r.values.get('first_name') or ''} {r.values.get('last_name') or ''}".strip()
            item[t("import.contacts_company")] = r.company
        for f in fields:
            if f in ("first_name", "last_name"):
                continue
            value = r.values.get(f)
            if f == "lifecycle" and value:
                value = t(f"contacts.lifecycle_{value}")
            item[_target_label(table, f)] = value or ""
        for field in planned.custom.values():
            name = field.label(current_language())
            item[name if name not in item else _target_label(table, CUSTOM + field.key, planned.custom)] = \
                _shown(field, r.values.get(field.column))
        item[t("contacts.owner")] = people.get(r.values.get("owner_id") or me, "")
        item[t("import.note")] = "; ".join(f"{h}: {v}" for h, v in r.note)[:200]
        data.append(item)
    st.caption(t("import.preview", n=len(rows)))
    st.dataframe(data, hide_index=True, width="stretch")


def _shown(field, value) -> str:
    """A converted custom value as the preview shows it (plain text in a table cell)."""
    from db.core import fields

    value = fields.public(field, value)
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, bool):
        return "✓" if value else ""
    return "" if value is None else str(value)
