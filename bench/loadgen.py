"""A load generator: N signed-in sessions driving a real server over Streamlit's own websocket protocol.

Usage: ``.venv/bin/python -m bench.loadgen [--sessions 30] [--minutes 5] [--scale large] [--think 2]``.
Each session speaks the frontend's protocol without a browser: it opens ``/_stcore/stream``, sends the
``rerun_script`` messages a browser sends (load a page, change a widget, submit a form, move a board card)
and times each action from the message to the end of the script run it caused (reruns included). Most
sessions arrive with a session cookie; a share sign in through the sign-in form, so a burst of argon2
checks is part of the load. The mix: contacts grid, a search, a record, logging a note, the deals board,
moving a deal, the dashboard, the calendar. Reports p50/p95/p99 per action, errors (an exception on the
page, a failed or timed-out run, a lost connection) and the server's CPU and memory over time. Prints
figures; asserts nothing. A browser's own drawing time is not included (bench/server.py measures that).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from streamlit.components.v2.bidi_component.main import _make_trigger_id
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.pages import database
from bench.server import launch, start
from db.core import users
from db.core.connection import connect

COOKIE = "crm_session"
MIX = {"contacts": 4, "search": 3, "record": 3, "log_note": 1, "deals": 3, "move_deal": 1, "dashboard": 2,
       "calendar": 1}
RUN_TIMEOUT = 60.0
WORDS = ("an", "mar", "ol", "smith", "acme", "ivan", "gmbh", "lee", "tech", "kov")


@dataclass
class Stats:
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    samples: list[tuple[float, float, float]] = field(default_factory=list)  # (t, cpu %, rss MB)

    def add(self, action: str, ms: float) -> None:
        self.times.setdefault(action, []).append(ms)

    def fail(self, action: str, why: str) -> None:
        key = f"{action}: {why}"
        self.errors[key] = self.errors.get(key, 0) + 1


class Session:
    """One browser tab's conversation with the server."""

    def __init__(self, url: str, cookie: str | None):
        self.url, self.cookie = url, cookie
        self.ws = None
        self.widgets: dict[str, str] = {}  # user key (or label) -> widget id, from the last run's elements
        self.page, self.query = "", ""

    async def open(self) -> None:
        headers = {"Origin": self.url}
        if self.cookie:
            headers["Cookie"] = f"{COOKIE}={self.cookie}"
        self.ws = await websockets.connect(self.url.replace("http", "ws") + "/_stcore/stream",
                                           subprotocols=["streamlit"], additional_headers=headers, max_size=None,
                                           open_timeout=RUN_TIMEOUT, ping_interval=None)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def run(self, page: str, query: str = "", states: list | None = None) -> tuple[float, list[str]]:
        """Send one rerun and wait for the script to finish (following reruns it triggers); returns the
        milliseconds and the exceptions shown on the page."""
        msg = BackMsg()
        client = msg.rerun_script
        client.page_name, client.query_string = page, query
        for state in states or []:
            client.widget_states.widgets.append(state)
        started = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        problems: list[str] = []
        widgets: dict[str, str] = {}
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(await asyncio.wait_for(self.ws.recv(), RUN_TIMEOUT))
            kind = fm.WhichOneof("type")
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                element = fm.delta.new_element
                name = element.WhichOneof("type")
                proto = getattr(element, name)
                if name == "exception":
                    problems.append(proto.message[:120] or proto.type)
                wid = getattr(proto, "id", "")
                if wid:
                    widgets[_user_key(wid)] = wid
                    if getattr(proto, "label", ""):
                        widgets.setdefault(proto.label, wid)
            elif kind == "script_finished":
                if fm.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    break
        self.widgets, self.page, self.query = widgets, page, query
        return (time.perf_counter() - started) * 1000, problems


def _user_key(widget_id: str) -> str:
    """``$$ID-<hash>-c_search`` -> ``c_search`` (the key the app gave the widget)."""
    parts = widget_id.split("-", 2)
    return parts[2] if len(parts) == 3 and widget_id.startswith("$$ID") else widget_id


def _text(widget_id: str, value: str):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return WidgetState(id=widget_id, string_value=value)


def _trigger(widget_id: str):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return WidgetState(id=widget_id, trigger_value=True)


def _json_trigger(widget_id: str, payload: dict):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return WidgetState(id=widget_id, json_trigger_value=json.dumps(payload))


class World:
    """What the sessions pick from: record ids and movable deals, read once from the database."""

    def __init__(self, db: Path):
        conn = connect(db)
        try:
            self.contacts = [r[0] for r in conn.execute(
                "SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY random() LIMIT 2000")]
            self.stages = {}
            for pipeline, stage in conn.execute("SELECT pipeline_id, id FROM stages WHERE kind = 'open' "
                                                "AND deleted_at IS NULL ORDER BY pipeline_id, position"):
                self.stages.setdefault(pipeline, []).append(stage)
        finally:
            conn.close()
        self.db = db

    def open_deal(self) -> tuple[int, int, int] | None:
        """A random open deal with its version and another stage of its pipeline (read fresh: versions move)."""
        conn = connect(self.db)
        try:
            row = conn.execute(
                "SELECT d.id, d.version, d.pipeline_id, d.stage_id FROM deals d JOIN stages s ON s.id = d.stage_id "
                "WHERE d.deleted_at IS NULL AND d.closed_at IS NULL AND s.kind = 'open' "
                "AND d.id >= (abs(random()) % (SELECT MAX(id) FROM deals)) ORDER BY d.id LIMIT 1").fetchone()
        finally:
            conn.close()
        if row is None:
            return None
        others = [s for s in self.stages.get(row[2], []) if s != row[3]]
        return (row[0], row[1], random.choice(others)) if others else None


async def act(session: Session, action: str, world: World, stats: Stats) -> None:
    """One user action; timed and checked."""
    try:
        if action == "contacts":
            ms, problems = await session.run("contacts")
        elif action == "search":
            if (session.page, session.query) != ("contacts", ""):
                await session.run("contacts")
            ms, problems = await session.run("contacts", states=[_text(session.widgets["c_search"],
                                                                        random.choice(WORDS))])
        elif action == "record":
            ms, problems = await session.run("contacts", f"id={random.choice(world.contacts)}")
        elif action == "log_note":
            cid = random.choice(world.contacts)
            await session.run("contacts", f"id={cid}")
            text = session.widgets.get(f"contact_{cid}_log_text")
            submit = next((w for k, w in session.widgets.items() if k.startswith(f"FormSubmitter:contact_{cid}_log")),
                          None)
            if not (text and submit):
                stats.fail(action, "form not found")
                return
            ms, problems = await session.run("contacts", f"id={cid}",
                                             states=[_text(text, f"Load test note {secrets.token_hex(3)}"),
                                                     _trigger(submit)])
        elif action == "deals":
            ms, problems = await session.run("deals")
        elif action == "move_deal":
            await session.run("deals")
            deal = world.open_deal()
            board = next((w for k, w in session.widgets.items() if k.startswith("board_")), None)
            if deal is None or board is None:
                stats.fail(action, "no board or no open deal")
                return
            payload = {"event": "moved", "value": {"deal_id": deal[0], "version": deal[1], "to_stage_id": deal[2],
                                                   "at": time.time() * 1000}}
            ms, problems = await session.run("deals", states=[_json_trigger(_make_trigger_id(board, "events"),
                                                                            payload)])
        elif action == "dashboard":
            ms, problems = await session.run("dashboard")
        elif action == "calendar":
            ms, problems = await session.run("calendar")
        else:
            raise ValueError(action)
    except TimeoutError:
        stats.fail(action, "no answer in 60 s")
        return
    except websockets.ConnectionClosed:
        stats.fail(action, "connection lost")
        await session.close()
        await session.open()
        return
    except KeyError as exc:
        stats.fail(action, f"widget {exc} not on the page")
        return
    stats.add(action, ms)
    for problem in problems:
        stats.fail(action, f"exception on the page: {problem}")


async def sign_in(url: str, email: str, password: str, stats: Stats) -> Session:
    """Through the sign-in form, as a person does; the session is then signed in for its later runs."""
    session = Session(url, None)
    await session.open()
    await session.run("")
    ms, problems = await session.run("", states=[_text(session.widgets["Email"], email),
                                                 _text(session.widgets["Password"], password),
                                                 _trigger(next(w for k, w in session.widgets.items()
                                                               if k.startswith("FormSubmitter:sign_in")))])
    stats.add("sign_in", ms)
    for problem in problems:
        stats.fail("sign_in", f"exception on the page: {problem}")
    return session


async def user_loop(n: int, url: str, people: list[tuple[str, str, str]], world: World, stats: Stats,
                    deadline: float, think: float, form_share: float) -> None:
    email, password, token = people[n % len(people)]
    await asyncio.sleep(random.uniform(0, min(5.0, think * 2)))  # arrivals spread over a few seconds
    try:
        if random.random() < form_share:
            session = await sign_in(url, email, password, stats)
        else:
            session = Session(url, token)
            await session.open()
            ms, problems = await session.run("")
            stats.add("first_page", ms)
    except Exception as exc:  # noqa: BLE001 - counted, the run goes on
        stats.fail("connect", type(exc).__name__)
        return
    actions, weights = list(MIX), list(MIX.values())
    try:
        while time.monotonic() < deadline:
            await act(session, random.choices(actions, weights)[0], world, stats)
            await asyncio.sleep(random.expovariate(1 / think) if think else 0)
    finally:
        await session.close()


def _proc_sample(pid: int, last: tuple[float, float] | None) -> tuple[tuple[float, float], float | None, float]:
    """(clock, cpu seconds), CPU % since ``last``, RSS in MB of the server process and its children."""
    ticks = os.sysconf("SC_CLK_TCK")
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    cpu = (int(parts[11]) + int(parts[12])) / ticks
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024
    now = time.monotonic()
    pct = None if last is None else 100 * (cpu - last[1]) / max(now - last[0], 1e-6)
    return (now, cpu), pct, rss


async def monitor(pids: list[int], stats: Stats, deadline: float, started: float) -> None:
    """CPU and RSS of the server processes, summed, every 5 s."""
    last: list = [None] * len(pids)
    while time.monotonic() < deadline:
        got = [_proc_sample(pid, before) for pid, before in zip(pids, last, strict=True)]
        last = [g[0] for g in got]
        if all(g[1] is not None for g in got):
            stats.samples.append((time.monotonic() - started, sum(g[1] for g in got), sum(g[2] for g in got)))
        await asyncio.sleep(5)


def start_workers(db: Path, count: int, log: Path) -> tuple[subprocess.Popen, str]:
    """``python -m deploy.workers`` (what bin/start runs for CRM_WORKERS) on a free port, once it answers."""
    return launch([sys.executable, "-m", "deploy.workers", "--workers", str(count)], log,
                  env={**os.environ, "CRM_DB": str(db)}, what="deploy.workers")


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (HAProxy and the workers)."""
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def people(db: Path, count: int) -> list[tuple[str, str, str]]:
    """``count`` bench managers (they may move any deal) with a password and a live session token each."""
    conn = connect(db)
    out = []
    try:
        for n in range(count):
            email = f"load{n}@bench.example"
            password = secrets.token_urlsafe(12)
            conn.execute("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE email = ?)", (email,))
            conn.execute("DELETE FROM users WHERE email = ?", (email,))
            uid = users.create_user(conn, email=email, name=f"Load Tester {n}", role="manager", password=password)
            out.append((email, password, users.create_session(conn, uid)))
    finally:
        conn.close()
    return out


def writes(db: Path, since: str) -> tuple[int, int]:
    """Notes the sessions logged and deals they moved, counted in the database: proof the actions did what
    they say."""
    conn = connect(db)
    try:
        notes = conn.execute("SELECT COUNT(*) FROM activities WHERE subject LIKE 'Load test note%' "
                             "OR notes LIKE 'Load test note%'").fetchone()[0]
        moves = conn.execute("SELECT COUNT(*) FROM audit_log a JOIN users u ON u.id = a.user_id "
                             "WHERE a.entity = 'deals' AND a.action = 'update' AND a.at >= ? "
                             "AND u.email LIKE 'load%@bench.example' AND a.after LIKE '%stage_id%'",
                             (since,)).fetchone()[0]
    finally:
        conn.close()
    return notes, moves


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(stats: Stats, sessions: int, minutes: float) -> None:
    print(f"\n{sessions} sessions, {minutes:g} min")
    print(f"{'action':<12}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for action in sorted(stats.times):
        values = stats.times[action]
        print(f"{action:<12}{len(values):>7}{statistics.median(values):>9.0f}{pct(values, .95):>9.0f}"
              f"{pct(values, .99):>9.0f}{max(values):>9.0f}")
    total = sum(len(v) for v in stats.times.values())
    print(f"actions: {total}; errors: {sum(stats.errors.values())}")
    for why, n in sorted(stats.errors.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {n:>5} x {why}")
    if stats.samples:
        print("server: minute, CPU % (of one core; 200 = both), RSS MB")
        by_minute: dict[int, list[tuple[float, float]]] = {}
        for at, cpu, rss in stats.samples:
            by_minute.setdefault(int(at // 60), []).append((cpu, rss))
        for minute, values in sorted(by_minute.items()):
            print(f"  {minute:>3}  {statistics.mean(v[0] for v in values):>5.0f}  "
                  f"{max(v[1] for v in values):>6.0f}")


async def drive(args, urls: list[str], pids: list[int], db: Path) -> Stats:
    stats, world = Stats(), World(db)
    crowd = people(db, args.sessions)
    started = time.monotonic()
    deadline = started + args.minutes * 60
    await asyncio.gather(monitor(pids, stats, deadline, started),
                         *(user_loop(n, urls[n % len(urls)], crowd, world, stats, deadline, args.think,
                                     args.form_share)
                           for n in range(args.sessions)))
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--scale", default="large")
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between a session's actions")
    parser.add_argument("--form-share", type=float, default=0.2, help="share of sessions signing in by the form")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--servers", type=int, default=1,
                        help="server processes over the same database, sessions dealt to them in turn (what a "
                             "sticky proxy in front of them would do, without the proxy's own cost)")
    parser.add_argument("--workers", type=int, default=0,
                        help="serve through deploy.workers (CRM_WORKERS): N processes behind HAProxy, as "
                             "bin/start runs them; the CPU figure sums the workers and HAProxy")
    args = parser.parse_args(argv)
    random.seed(args.seed)
    source = database(args.scale)
    folder = Path(tempfile.mkdtemp())
    db = folder / "load.db"  # a copy: the load writes notes and moves deals
    shutil.copy(source, db)
    if args.workers:
        servers = [start_workers(db, args.workers, folder / "workers.log")]
        pids = children(servers[0][0].pid)
    else:
        servers = [start(db, folder / f"runs{n}.jsonl", folder / f"server{n}.log") for n in range(args.servers)]
        pids = [proc.pid for proc, _ in servers]
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    try:
        stats = asyncio.run(drive(args, [url for _, url in servers], pids, db))
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(10)
    report(stats, args.sessions, args.minutes)
    notes, moves = writes(db, since)
    print(f"in the database afterwards: {notes} notes logged, {moves} deal moves "
          f"(asked: {len(stats.times.get('log_note', []))} and {len(stats.times.get('move_deal', []))})")
    print(f"(server logs: {folder}/server*.log)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
