"""Calendar helpers: activities to FullCalendar events and back, in the person's time zone.

The component is given naive local wall times with ``timeZone: "UTC"``, so FullCalendar shows them
as they are; its callbacks then report those wall times with a ``Z`` (the well-known shift).
``from_component`` reads them back as wall times in the person's zone and converts to UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from streamlit_calendar import calendar as fullcalendar

COLOURS = {"call": "#2563eb", "meeting": "#7c3aed", "email": "#0891b2", "task": "#f59e0b", "note": "#6b7280",
           "complaint": "#dc2626"}
FMT = "%Y-%m-%d %H:%M:%S"


def to_local(utc_text: str, tz: str) -> str:
    """Stored UTC text -> naive local ISO for the component."""
    moment = datetime.fromisoformat(utc_text).replace(tzinfo=UTC).astimezone(ZoneInfo(tz))
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def from_component(iso: str, tz: str) -> str:
    """A component time ('2026-11-23T10:00:00.000Z' meaning 10:00 on the wall) -> stored UTC text."""
    wall = datetime.fromisoformat(iso.replace("Z", "+00:00")).replace(tzinfo=None)
    return wall.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC).strftime(FMT)


def local_to_utc(wall: datetime, tz: str) -> str:
    return wall.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC).strftime(FMT)


def events(rows: list[dict], tz: str) -> list[dict]:
    """FullCalendar events; tasks show at their due time for 30 minutes, done ones faded."""
    out = []
    for r in rows:
        start_text = r["starts_at"] or r["due_at"]
        if not start_text:
            continue
        start = to_local(start_text, tz)
        end = to_local(r["ends_at"], tz) if r.get("ends_at") else \
            (datetime.fromisoformat(start) + timedelta(minutes=max(r.get("duration_min") or 30, 15))).isoformat()
        colour = COLOURS.get(r["kind"], "#6b7280")
        out.append({"id": str(r["id"]), "title": ("✓ " if r["done"] else "") + r["subject"], "start": start,
                    "end": end, "backgroundColor": colour, "borderColor": colour,
                    "textColor": "#ffffff", "classNames": ["done"] if r["done"] else [],
                    "extendedProps": {"version": r["version"], "kind": r["kind"]}})
    return out


def view_range(state: dict | None, fallback: tuple[str, str]) -> tuple[str, str]:
    """The visible range the component reported (naive wall times), or the fallback."""
    view = (state or {}).get("eventsSet", {}).get("view") if isinstance(state, dict) else None
    if view and view.get("activeStart") and view.get("activeEnd"):
        return view["activeStart"], view["activeEnd"]
    return fallback


FC_CODE = {"en": "en-GB", "ru": "ru", "uk": "uk", "bg": "bg"}  # Intl names: day and month names, date order


def fc_locale(lang: str, text: dict[str, str]) -> dict:
    """A FullCalendar locale object: the component bundles no locales, but accepts one inline. The code
    drives the browser's Intl formatting (day headers, titles, D.M order); the words come from our
    catalogue; the week starts on the language's first day (Babel)."""
    from babel import Locale

    from components.i18n import BABEL_LOCALE

    first = Locale.parse(BABEL_LOCALE.get(lang, "en_GB")).first_week_day  # Babel: 0 = Monday
    return {"code": FC_CODE.get(lang, "en-GB"), "week": {"dow": (first + 1) % 7, "doy": 4},
            "buttonText": {k: text[k] for k in ("today", "month", "week", "day", "list")},
            "allDayText": text["all_day"], "moreLinkText": text["more"], "noEventsText": text["no_events"],
            "weekText": text["week_short"]}


def render(events_list: list[dict], view: str, key: str, initial_date: str, locale: dict | None = None) -> dict:
    options = {
        "initialView": view, "initialDate": initial_date, "timeZone": "UTC", "editable": True, "selectable": True,
        "selectMirror": True, "nowIndicator": True, "slotMinTime": "07:00:00", "slotMaxTime": "21:00:00",
        "height": 680, "locale": locale or {"code": "en-GB"}, "firstDay": (locale or {}).get("week", {}).get("dow", 1), "eventTimeFormat": {"hour": "2-digit", "minute": "2-digit", "hour12": False},
        "slotLabelFormat": {"hour": "2-digit", "minute": "2-digit", "hour12": False},
        "headerToolbar": {"left": "prev,next today", "center": "title",
                          "right": "dayGridMonth,timeGridWeek,timeGridDay,listWeek"},
    }
    css = ".fc-event.done { opacity: .55; } .fc-event { font-size: 12px; }"
    return fullcalendar(events=events_list, options=options, custom_css=css, key=key,
                        callbacks=["eventClick", "eventChange", "eventsSet", "select"]) or {}
