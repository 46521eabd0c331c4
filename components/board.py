"""The deals board: pure builder (stages with cards -> component data) and the thin render call."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import streamlit as st

from components.i18n import day, money, translate
from db.core.permissions import Actor, may_write

HERE = Path(__file__).resolve().parent / "kanban"
_component = None


def days_in_stage(entered: str | None, now: datetime) -> int:
    if not entered:
        return 0
    return max(0, (now - datetime.fromisoformat(entered)).days)


def board_data(columns: list[dict], lang: str, now: datetime, currency: str = "EUR", actor: Actor | None = None) -> dict:
    """Plain JSON for the component; every label already formatted and translated (pure, unit-tested).

    ``can_edit`` comes from the same permission rule the write path enforces (no actor: read-only board);
    ``no_next`` flags an open deal with no planned (not done) call, meeting or task."""
    def t(key: str, **params) -> str:  # the board's ~600 labels: no session lookup per label
        return translate(lang, key, **params)

    out = []
    for col in columns:
        cards = []
        for deal in col["cards"]:
            days = days_in_stage(deal["stage_entered_at"], now)
            nxt = deal.get("next")
            amount = money(deal["amount"], lang, currency)
            can_edit = actor is not None and may_write(actor, "deals", {"owner_id": deal.get("owner_id")})
            overdue = bool(nxt and nxt.get("at") and nxt["at"] < now.isoformat(sep=" "))
            label = t("deals.card_label", title=deal["title"], amount=amount, stage=col["name"])
            cards.append({
                "id": deal["id"], "version": deal["version"], "title": deal["title"], "who": deal.get("who") or "",
                "amount": amount, "owner": deal.get("owner") or "",
                "days": t("deals.days_in_stage", n=days), "stale": days > 30 and col["kind"] == "open",
                "next": t("deals.next", kind=t("kinds." + nxt["kind"]), subject=nxt["subject"], when=day(nxt["at"], lang))
                if nxt and nxt.get("at") else "",
                "overdue": overdue and col["kind"] == "open",
                "no_next": col["kind"] == "open" and not (nxt and nxt.get("at")),
                "can_edit": can_edit,
                "label": label if can_edit else t("deals.card_label_locked", title=deal["title"], amount=amount,
                                                  stage=col["name"], owner=deal.get("owner") or "—"),
                "move_label": t("deals.move_card", title=deal["title"]),
            })
        hidden = col["count"] - len(cards)
        out.append({
            "id": col["id"], "name": col["name"], "kind": col["kind"], "count": col["count"],
            "sums": t("deals.column_sums", total=money(col["sum"], lang, currency),
                      weighted=money(col["weighted"], lang, currency)),
            "label": t("deals.column_label", stage=col["name"], n=col["count"]),
            "cards": cards, "hidden": hidden, "more": t("deals.more_hidden", n=hidden) if hidden > 0 else "",
        })
    labels = {key: t("deals." + key) for key in ("move_to", "no_next", "locked", "drop_here", "board_label")}
    return {"columns": out, "labels": labels}


def render_board(data: dict, key: str):
    """Mount the board; returns the component result (``.moved`` and ``.opened`` triggers)."""
    global _component
    if _component is None:
        _component = st.components.v2.component(
            "crm_kanban", html="<div></div>", css=(HERE / "board.css").read_text(),
            js=(HERE / "board.js").read_text())
    return _component(data=data, key=key, on_moved_change=lambda: None, on_opened_change=lambda: None)
