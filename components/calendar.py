"""Calendar helpers: activities to FullCalendar events and back, in the person's time zone.

The component is given naive local wall times with ``timeZone: "UTC"``, so FullCalendar shows them
as they are; its callbacks then report those wall times with a ``Z`` (the well-known shift).
``from_component`` reads them back as wall times in the person's zone and converts to UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
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


VIEWS = ("dayGridMonth", "timeGridWeek", "timeGridDay", "listWeek")
# Activities drawn per day at most; the rest of a day is behind its "+N more" (db/crm/calendar.py). A month cell
# has room for three, a week column for a dozen before FullCalendar stacks them; a day view and a list more.
PER_DAY = {"dayGridMonth": 3, "timeGridWeek": 12, "timeGridDay": 60, "listWeek": 25}


def visible(view: str, anchor: date, first_dow: int) -> tuple[date, int]:
    """The first day and the number of days FullCalendar shows for ``view`` around ``anchor`` (first_dow:
    0 = Sunday, as FullCalendar counts): a month is six whole weeks from the week holding the 1st."""
    def week_start(d: date) -> date:
        return d - timedelta(days=(d.isoweekday() % 7 - first_dow) % 7)

    if view == "dayGridMonth":
        return week_start(anchor.replace(day=1)), 42
    if view == "timeGridDay":
        return anchor, 1
    return week_start(anchor), 7


def shift(view: str, anchor: date, step: int) -> date:
    """The anchor one month, week or day earlier (step -1) or later (+1)."""
    if view == "dayGridMonth":
        month = anchor.month - 1 + step
        year, month = anchor.year + month // 12, month % 12 + 1
        return date(year, month, 1)
    return anchor + timedelta(days=step * (1 if view == "timeGridDay" else 7))


def more_events(days: list[dict], title) -> list[dict]:
    """One all-day "+N more" event on each day that has more activities than are drawn; clicking it opens the
    day's full list. ``title(n)`` words it. It sorts after the day's activities (eventOrder) and cannot move."""
    out = []
    for d in days:
        hidden = d["total"] - d["shown"]
        if hidden > 0:
            out.append({"id": f"more:{d['day']}", "title": title(hidden), "start": d["day"], "allDay": True,
                        "editable": False, "classNames": ["more"], "backgroundColor": "#eef2ff",
                        "borderColor": "#6366f1", "textColor": "#312e81",
                        "extendedProps": {"more": d["day"], "order": 1}})
    return out


def more_day(state: dict | None) -> str | None:
    """The day of a clicked "+N more" event, else None."""
    event = ((state or {}).get("eventClick") or {}).get("event") or {}
    ident = str(event.get("id", ""))
    return ident.split(":", 1)[1] if ident.startswith("more:") else None


def scroll_time(rows: list[dict], tz: str, default: int = 7) -> str:
    """Where a week or day view opens: at the hour of the earliest drawn activity (one task at 15:00 would
    otherwise sit below an empty morning), else at 07:00."""
    hours = [datetime.fromisoformat(to_local(r["starts_at"] or r["due_at"], tz)).hour for r in rows
             if r.get("starts_at") or r.get("due_at")]
    return f"{min(hours) if hours else default:02d}:00:00"


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


def render(events_list: list[dict], view: str, key: str, initial_date: str, locale: dict | None = None,
           scroll: str = "07:00:00") -> dict:
    """The FullCalendar component. Navigation is the page's (the toolbar shows only the title): the component
    reports no range (no eventsSet callback, whose every report re-ran the script, four runs a visit), so the
    page knows the range before drawing and a visit is one script run.

    FullCalendar reads its view and date only when it starts. The options carry a React ``key`` of the view and
    date (the component spreads its options into the FullCalendar element), so another range starts a new
    calendar inside the same frame; a new Streamlit key would reload the frame and its 0.9 MB script."""
    options = {
        "key": f"{view}|{initial_date}",
        "initialView": view, "initialDate": initial_date, "timeZone": "UTC", "editable": True, "selectable": True,
        "selectMirror": True, "nowIndicator": True, "scrollTime": scroll, "height": 680,
        "locale": locale or {"code": "en-GB"}, "firstDay": (locale or {}).get("week", {}).get("dow", 1),
        "eventTimeFormat": {"hour": "2-digit", "minute": "2-digit", "hour12": False},
        "slotLabelFormat": {"hour": "2-digit", "minute": "2-digit", "hour12": False},
        "headerToolbar": {"left": "", "center": "title", "right": ""}, "dayMaxEvents": False,
        "eventMaxStack": 4, "eventOrder": "order,start,-duration,title",
    }
    css = (".fc-event.done { opacity: .55; } .fc-event { font-size: 12px; } .fc-event.more { cursor: pointer; "
           "font-weight: 600; } .fc .fc-toolbar-title { font-size: 1.2em; }")
    return fullcalendar(events=events_list, options=options, custom_css=css, key=key,
                        callbacks=["eventClick", "eventChange", "select"]) or {}
