"""The deals board: pure builder (stages with cards -> component data) and the thin render call."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import streamlit as st

from components.i18n import day, money, t

HERE = Path(__file__).resolve().parent / "kanban"
_component = None


def days_in_stage(entered: str | None, now: datetime) -> int:
    if not entered:
        return 0
    return max(0, (now - datetime.fromisoformat(entered)).days)


def board_data(columns: list[dict], lang: str, now: datetime, currency: str = "EUR") -> dict:
    """Plain JSON for the component; every label already formatted and translated (pure, unit-tested)."""
    out = []
    for col in columns:
        cards = []
        for deal in col["cards"]:
            days = days_in_stage(deal["stage_entered_at"], now)
            nxt = deal.get("next")
            cards.append({
                "id": deal["id"], "version": deal["version"], "title": deal["title"], "who": deal.get("who") or "",
                "amount": money(deal["amount"], lang, currency), "owner": deal.get("owner") or "",
                "days": t("deals.days_in_stage", n=days), "stale": days > 30 and col["kind"] == "open",
                "next": t("deals.next", kind=t("kinds." + nxt["kind"]), subject=nxt["subject"], when=day(nxt["at"], lang))
                if nxt and nxt.get("at") else "",
            })
        hidden = col["count"] - len(cards)
        out.append({
            "id": col["id"], "name": col["name"], "kind": col["kind"], "count": col["count"],
            "sums": t("deals.column_sums", total=money(col["sum"], lang, currency),
                      weighted=money(col["weighted"], lang, currency)),
            "cards": cards, "hidden": hidden, "more": t("deals.more_hidden", n=hidden) if hidden > 0 else "",
        })
    return {"columns": out}


def render_board(data: dict, key: str):
    """Mount the board; returns the component result (``.moved`` and ``.opened`` triggers)."""
    global _component
    if _component is None:
        _component = st.components.v2.component(
            "crm_kanban", html="<div></div>", css=(HERE / "board.css").read_text(),
            js=(HERE / "board.js").read_text())
    return _component(data=data, key=key, on_moved_change=lambda: None, on_opened_change=lambda: None)
