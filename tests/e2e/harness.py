"""Real-browser harness: a real Streamlit server on a free port over a seeded temporary database.

Facts learned the hard way (see docs/testing.md): Playwright cannot download a browser here, so
Debian's chromium is launched by path; custom components live in iframes; the data grid is a
canvas; after an action wait until the script run has ended (``wait_idle``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from deploy.workers import free_port, wait_healthy

__all__ = ["free_port", "wait_healthy"]  # the benches and tests take them from here too

ROOT = Path(__file__).resolve().parent.parent.parent
SHOTS = ROOT / "tests" / "e2e" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Server:
    """``streamlit run app.py`` as a child process; stopped by ``stop()``."""

    def __init__(self, db_path: Path, log_path: Path, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        from components.session import forwarded_allow_ips

        env = {**os.environ, "CRM_DB": str(db_path), "PYTHONUNBUFFERED": "1", **(env or {})}
        env.setdefault("FORWARDED_ALLOW_IPS", forwarded_allow_ips(env.get("CRM_TRUSTED_PROXIES", "")))  # as bin/start
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "server.py"), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60) -> None:
        wait_healthy(self.proc, self.url, timeout, self.log.name)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def wait_idle(page, timeout: float = 20_000) -> None:
    """Wait until Streamlit has finished the current script run. The app root's ``data-test-script-state``
    says "running" from the run's first message; the status widget (also waited for: it shows a lost
    connection) only appears 500 ms into a run, so alone it let a test act in the middle of a run."""
    page.wait_for_timeout(150)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", state="attached",
                           timeout=timeout)
    page.wait_for_selector("[data-testid=stStatusWidget]", state="detached", timeout=timeout)
    page.wait_for_timeout(100)


def eventually(page, read, timeout: float = 20.0):
    """``read()``'s first truthy result, polled while the app saves (a loaded machine can start the run
    after ``wait_idle`` has already looked); None when nothing came within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = read()
        if got or time.monotonic() > deadline:
            return got
        page.wait_for_timeout(200)


def sign_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(base_url + "/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Welcome back").first.wait_for(timeout=20_000)
    wait_idle(page)
    # The app then fetches /auth/session in the background for its lasting cookie.
    deadline = time.monotonic() + 10
    while not any(c["name"] == "crm_session" for c in page.context.cookies()) and time.monotonic() < deadline:
        page.wait_for_timeout(100)


def open_page(page, label: str) -> None:
    """Navigate through the sidebar (client-side, so the Streamlit session and sign-in stay)."""
    page.locator("[data-testid=stSidebar]").get_by_role("link", name=label, exact=True).first.click()
    wait_idle(page)


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(700)  # grids and charts paint a moment after the script run ends
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def enter_text(page, field, text: str, *, attempts: int = 3) -> None:
    """Type ``text`` into a Streamlit text input and commit it with Enter, then wait for the run. A rerun
    redrawing the input between the typing and the Enter (a loaded machine) drops the text, so the input is
    read back and the pair tried again. Not for an input inside a form, where Enter submits the form."""
    for _ in range(attempts):
        wait_idle(page)
        field.fill(text)
        field.press("Enter")
        wait_idle(page)
        if field.input_value() == text:
            return
    raise AssertionError(f"the input kept {field.input_value()!r}, not {text!r}")


def pick(page, opener, option, *, attempts: int = 4, timeout: float = 7_000) -> None:
    """Open a Streamlit select or multiselect (``opener``: its label, combobox or input locator) and click
    ``option`` (a name, exact, or a locator of the option). A rerun landing between the two redraws the list
    closed, so the pair is tried again; on a loaded machine a single try timed out now and then. A named
    option is then read back from the widget (its value, or a multiselect's tag) and the pair tried again when
    the widget does not show it: a click can land on a list that a rerun is replacing."""
    for attempt in range(attempts):
        wait_idle(page)
        if attempt and _shows(opener, option):
            return
        opener.click()
        target = page.get_by_role("option", name=option, exact=True) if isinstance(option, str) else option
        try:
            target.first.click(timeout=timeout)
            wait_idle(page)
            if _shows(opener, option):
                return
        except Exception:  # noqa: BLE001 - playwright's timeout; the last try raises it
            if attempt == attempts - 1:
                raise
        page.keyboard.press("Escape")
    raise AssertionError(f"the widget does not show {option!r} after {attempts} picks")


def _shows(opener, option) -> bool:
    """Whether the select or multiselect around ``opener`` shows ``option`` as its value (True for an option
    given as a locator, or a widget of another kind: nothing to read back)."""
    if not isinstance(option, str):
        return True
    box = opener.locator("xpath=ancestor::*[@data-testid='stSelectbox' or @data-testid='stMultiSelect'][1]")
    if not box.count():
        return True
    if box.get_attribute("data-testid") == "stMultiSelect":
        return box.locator(f"[data-tag][aria-label={json.dumps(option)}]").count() > 0
    return box.locator("input[role=combobox]").input_value() == option


@contextmanager
def explained(page):
    """A failed expectation inside says what the page's widgets showed (``describe``)."""
    try:
        yield
    except AssertionError as err:
        raise AssertionError(f"{err}\n\nthe page shows:\n{describe(page)}") from err


def describe(page) -> str:
    """What the page's selects, multiselects and text inputs show, and its alerts: a failing browser test's
    message says which step's state was not what it expected."""
    return page.evaluate("""() => {
        const label = el => (el.querySelector('[data-testid=stWidgetLabel]') || {}).innerText || '?';
        const out = [];
        for (const el of document.querySelectorAll('[data-testid=stSelectbox]'))
            out.push(`${label(el)} = ${(el.querySelector('input') || {}).value}`);
        for (const el of document.querySelectorAll('[data-testid=stMultiSelect]'))
            out.push(`${label(el)} = [${[...el.querySelectorAll('[data-tag]')].map(t => t.ariaLabel)}]`);
        for (const el of document.querySelectorAll('[data-testid=stTextInput]'))
            out.push(`${label(el)} = ${JSON.stringify((el.querySelector('input') || {}).value)}`);
        for (const el of document.querySelectorAll('[data-testid=stAlert], [data-testid=stCaptionContainer]'))
            out.push(`note: ${el.innerText}`);
        return out.join('\\n');
    }""")
