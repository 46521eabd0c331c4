"""The notifications page and the sidebar entry, through AppTest with a real session on a seeded database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from components.notifications import badge
from db.core import records
from db.core.connection import connect
from db.core.permissions import Actor
from db.crm import timeline
from tests.apptest import page, texts, user_id

PAYLOAD = "**Bold** [x](https://evil.example) $x^2$ :red[red] <b>b</b>"


def _people(path):
    c = connect(path)
    rows = {r["role"]: Actor(r["id"], r["role"], r["name"]) for r in c.execute(
        "SELECT id, role, name FROM users WHERE id IN (SELECT MIN(id) FROM users GROUP BY role)")}
    return c, rows


def _sidebar_label(at) -> str:
    """The sidebar's first link: the notifications entry, above the pages."""
    return at.sidebar.get("page_link")[0].label


def test_a_mention_and_an_assignment_reach_the_rep_and_mark_all_read_clears_them(seeded):
    c, who = _people(seeded[0])
    rep, manager = who["rep"], who["manager"]
    c.execute("UPDATE activities SET done = 1 WHERE owner_id = ?", (rep.id,))  # no task reminders in the way
    contact = records.create(c, "contacts", {"first_name": PAYLOAD, "last_name": "Zed", "owner_id": rep.id}, manager)
    timeline.add(c, contact, "comment", f"@{rep.name} please call", manager)
    c.close()

    at = page("pages/notifications.py", seeded[0], role="rep")
    at.run()
    assert not at.exception, at.exception
    assert _sidebar_label(at).endswith(":red-badge[2]")
    shown = texts(at)
    assert f"{manager.name} mentioned you on {' '.join(PAYLOAD.split())} Zed" in shown
    assert f"{manager.name} assigned you the contact" in shown
    assert "please call" in shown
    md = "\n".join(m.value for m in at.markdown)
    assert "**Bold**" not in md and "](https" not in md and "$x^2$" not in md  # the name stays text
    assert len([b for b in at.button if b.label == "Open"]) == 2

    at.button(key="notifications_mark_all").click().run()
    assert not at.exception
    assert _sidebar_label(at) == "Notifications"
    at.toggle(key="notifications_unread_only").set_value(True).run()
    assert "No unread notifications." in texts(at)


def test_mark_one_read_and_the_task_figures_in_the_sidebar(seeded):
    c, who = _people(seeded[0])
    rep, manager = who["rep"], who["manager"]
    c.execute("UPDATE activities SET done = 1 WHERE owner_id = ?", (rep.id,))
    soon = (datetime.now(UTC) + timedelta(minutes=20)).strftime("%Y-%m-%d %H:%M:%S")
    records.create(c, "activities", {"kind": "task", "subject": "Send the quote", "due_at": soon,
                                     "owner_id": rep.id}, rep)
    records.create(c, "activities", {"kind": "task", "subject": "Old promise", "due_at": "2026-01-05 09:00:00",
                                     "owner_id": rep.id}, rep)
    records.create(c, "contacts", {"first_name": "Given", "owner_id": rep.id}, manager)
    c.close()
    at = page("pages/notifications.py", seeded[0], role="rep")
    at.run()
    assert _sidebar_label(at).endswith(":red-badge[3]")
    shown = texts(at)
    assert "Tasks: 1 overdue, 1 due today" in shown
    assert "Task due today, " in shown and "Send the quote" in shown
    assert "Task overdue since 5 Jan 2026, 09:00: Old promise" in shown  # minutes, no seconds
    first_read = next(b for b in at.button if b.label == "Mark read")
    first_read.click().run()
    assert _sidebar_label(at).endswith(":red-badge[2]")
    assert len([b for b in at.button if b.label == "Mark read"]) == 2


def test_times_follow_the_persons_zone_and_language(seeded):
    c, who = _people(seeded[0])
    rep = who["rep"]
    c.execute("UPDATE activities SET done = 1 WHERE owner_id = ?", (rep.id,))
    c.execute("UPDATE users SET language = 'ru', timezone = 'Europe/Kyiv' WHERE id = ?", (rep.id,))
    records.create(c, "activities", {"kind": "task", "subject": "Позвонить", "due_at": "2026-01-05 09:00:00",
                                     "owner_id": rep.id}, rep)
    c.close()
    at = page("pages/notifications.py", seeded[0], role="rep")
    at.run()
    assert "Задача просрочена с 5 янв. 2026\u202fг., 11:00: Позвонить" in texts(at)  # 09:00 UTC is 11:00 in Kyiv
    assert _sidebar_label(at).startswith("Уведомления")


def test_every_role_sees_only_their_own(seeded):
    c, who = _people(seeded[0])
    records.create(c, "contacts", {"first_name": "ForTheRep", "owner_id": who["rep"].id}, who["manager"])
    c.close()
    at = page("pages/notifications.py", seeded[0], role="admin")
    at.run()
    assert not at.exception
    assert "ForTheRep" not in texts(at)
    assert user_id(seeded[0], "admin") != who["rep"].id


def test_badge_caps_a_flood():
    assert (badge(3), badge(99), badge(100), badge(12000)) == ("3", "99", "99+", "99+")
