"""Real browsers through ``deploy.workers``: two server processes behind HAProxy (CRM_WORKERS=2).

Each browser is dealt a worker by the first answer's ``crm_worker`` cookie and stays there: its websocket,
the file it uploads to the import and the files it downloads from the export all reach the process that
holds its session (served by another process, an upload or a download would not be found)."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from deploy.workers import COOKIE, haproxy_config, haproxy_path, worker_env
from tests.e2e.conftest import enter_signed_in
from tests.e2e.harness import ROOT, free_port, open_page, shot, wait_healthy, wait_idle


@pytest.fixture(scope="module")
def stack(e2e_db, tmp_path_factory):
    port = free_port()
    log = (tmp_path_factory.mktemp("workers") / "workers.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "deploy.workers", "--workers", "2", "--port", str(port),
                             "--address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env={**os.environ, "CRM_DB": str(e2e_db[0])}, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(proc, url, 120, log.name)
    yield SimpleNamespace(url=url, proc=proc)
    proc.terminate()
    proc.wait(30)
    log.close()


def test_each_browser_stays_on_its_worker_for_uploads_and_downloads(browser, stack, e2e_db):
    dealt = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        context.set_default_timeout(20_000)
        page = context.new_page()
        enter_signed_in(page, stack, e2e_db[0], "admin@demo.example")
        dealt.append({c["name"]: c["value"] for c in context.cookies()}.get(COOKIE))
        open_page(page, "Contacts")
        for _ in range(2):  # a download served by the other process would be a 404
            page.get_by_text("Export this view").click()
            with page.expect_download() as got:
                page.get_by_role("button", name="Download CSV").click()
            assert got.value.path().read_bytes().decode("utf-8-sig").startswith("id,")
            page.get_by_text("Export this view").click()
            wait_idle(page)
        page.get_by_text("Import contacts from CSV or Excel").click()
        wait_idle(page)
        broken = (b'First Name,Last Name,Email\nAna,Broken,ana@w.example\nBob,"Stone,bob@w.example\n'
                  b"Cy,Moss,cy@w.example\nDi,Hart,di@w.example\n")
        page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
            files=[{"name": "broken.csv", "mimeType": "text/csv", "buffer": broken}])
        page.get_by_text("1 row has problems. Fix it in the file").wait_for()  # the upload reached its session
        shot(page, f"workers_{dealt[-1]}")
        context.close()
    assert sorted(dealt) == ["w1", "w2"]  # two new browsers, one per worker


def test_the_config_keeps_a_browser_on_its_worker_and_workers_trust_only_the_proxy(tmp_path):
    config = haproxy_config("0.0.0.0", 8501, [9001, 9002])
    for n, text in enumerate((config, haproxy_config("127.0.0.1", 8501, [9001], behind_proxy=True))):
        (tmp_path / f"{n}.cfg").write_text(text)
        check = subprocess.run([haproxy_path(), "-c", "-f", str(tmp_path / f"{n}.cfg")], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    assert f"cookie {COOKIE} insert indirect nocache httponly" in config
    assert "server w1 127.0.0.1:9001 cookie w1" in config and "server w2 127.0.0.1:9002 cookie w2" in config
    assert "timeout tunnel 24h" in config  # an idle tab's websocket is not cut
    assert "del-header X-Forwarded-Proto" in config  # nobody in front: a client's own claims are dropped
    assert "del-header" not in haproxy_config("127.0.0.1", 8501, [9001], behind_proxy=True)
    env = worker_env({"CRM_TRUSTED_PROXIES": "10.0.0.5"})
    assert env["CRM_TRUSTED_PROXIES"] == "10.0.0.5,127.0.0.1"
    assert env["FORWARDED_ALLOW_IPS"] == "10.0.0.5/32,127.0.0.1/32"
    assert worker_env({})["FORWARDED_ALLOW_IPS"] == "127.0.0.1/32"
