"""Serve the CRM from several server processes behind HAProxy, each browser kept on one of them.

Usage: ``python -m deploy.workers --workers 2 [--port 8501] [--address 0.0.0.0] [streamlit options]``
(bin/start does this when ``CRM_WORKERS`` is 2 or more; its ``--server.address``/``--server.port`` are
HAProxy's). One Streamlit process runs scripts on one core at a time (the interpreter lock), so a team's load
on a multi-core server needs several processes (docs/bench.md, "Concurrent sessions"). A browser must stay
on the process that holds its session: its websocket, the files it uploads (an import) and the files it
downloads (an export) live in that process's memory. HAProxy, a well-kept
proxy from the distribution, does exactly that with a cookie (``crm_worker``) it adds to the first answer.

The workers listen on 127.0.0.1 only and believe HAProxy's ``X-Forwarded-For`` (127.0.0.1 joins
``CRM_TRUSTED_PROXIES``), so sign-in throttling still sees each client's own address. Sign-ins, data and
caches' freshness live in the SQLite file, which every process shares; the webhook worker in each process
claims deliveries under a lease. When any process ends, the others are stopped and the exit is an error,
so a supervisor (systemd, a container) restarts the whole set.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from components.session import TRUSTED_PROXIES_ENV, forwarded_allow_ips

ROOT = Path(__file__).resolve().parent.parent
COOKIE = "crm_worker"


def haproxy_config(address: str, port: int, worker_ports: list[int], behind_proxy: bool = False) -> str:
    """Round-robin over the workers for a new browser; ``crm_worker`` keeps it there afterwards. The tunnel
    timeout keeps an idle websocket (a tab left open) for a day. HAProxy adds the peer's address to
    ``X-Forwarded-For``; with no trusted proxy in front (``behind_proxy``), whatever forwarding headers a
    client sent are dropped first, so it cannot pass for https or another address."""
    servers = "\n".join(f"    server w{n} 127.0.0.1:{p} cookie w{n} check inter 2s"
                        for n, p in enumerate(worker_ports, 1))
    drop = "" if behind_proxy else ("    http-request del-header X-Forwarded-For\n"
                                    "    http-request del-header X-Forwarded-Proto\n")
    return f"""global
    maxconn 4096

defaults
    mode http
    option forwardfor
    timeout connect 5s
    timeout client 60s
    timeout server 120s
    timeout tunnel 24h
    timeout http-request 30s

frontend crm
    bind {address}:{port}
{drop}    default_backend workers

backend workers
    balance roundrobin
    cookie {COOKIE} insert indirect nocache httponly attr "SameSite=Lax"
    option httpchk GET /_stcore/health
{servers}
"""


def worker_env(base: dict[str, str]) -> dict[str, str]:
    """The environment of a worker: HAProxy (127.0.0.1) is a trusted proxy, besides any already named."""
    proxies = ",".join(p for p in (base.get(TRUSTED_PROXIES_ENV, ""), "127.0.0.1") if p)
    return {**base, TRUSTED_PROXIES_ENV: proxies, "FORWARDED_ALLOW_IPS": forwarded_allow_ips(proxies)}


def _die_with_parent() -> None:
    """In a child before it runs: end it when the supervisor ends, even killed outright (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the supervisor's own stop() still ends them
        pass


def haproxy_path() -> str | None:
    """Debian installs it in /usr/sbin, which a plain user's PATH may lack."""
    return shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(proc: subprocess.Popen, url: str, timeout: float = 120, log: Path | str | None = None) -> None:
    """Until ``url`` answers Streamlit's health check (the server, the benches and the tests all wait so);
    an error when ``proc`` ends first or nothing answers in ``timeout`` seconds."""
    see = f"; see {log}" if log else ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited during its start (code {proc.returncode}){see}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f} s{see}")


def start_workers(count: int, extra: list[str]) -> list[tuple[subprocess.Popen, int]]:
    """``count`` servers on free local ports, one after the other (each runs the migration check and its
    warm-up before it answers; one at a time, they do not race for the same file)."""
    env = worker_env(dict(os.environ))
    started: list[tuple[subprocess.Popen, int]] = []
    try:
        for _ in range(count):
            port = free_port()
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(ROOT / "server.py"), "--server.port", str(port),
                 "--server.address", "127.0.0.1", "--server.headless", "true", *extra], cwd=ROOT, env=env,
                preexec_fn=_die_with_parent)
            started.append((proc, port))
            wait_healthy(proc, f"http://127.0.0.1:{port}")
    except BaseException:
        stop([p for p, _ in started])
        raise
    return started


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", "--server.port", type=int, default=8501)
    parser.add_argument("--address", "--server.address", default="0.0.0.0",
                        help="where HAProxy listens (the workers listen on 127.0.0.1 only)")
    args, extra = parser.parse_known_args(argv)
    haproxy = haproxy_path()
    if haproxy is None:
        sys.exit("CRM_WORKERS needs HAProxy: apt-get install haproxy (bin/start installs it when it may)")
    if args.workers < 1:
        sys.exit("--workers: at least 1")
    workers = start_workers(args.workers, extra)
    folder = Path(tempfile.mkdtemp(prefix="crm-haproxy-"))
    config = folder / "haproxy.cfg"
    behind = bool(os.environ.get(TRUSTED_PROXIES_ENV, "").strip())
    config.write_text(haproxy_config(args.address, args.port, [port for _, port in workers], behind))
    proxy = subprocess.Popen([haproxy, "-db", "-f", str(config)], preexec_fn=_die_with_parent)
    procs = [proxy, *(p for p, _ in workers)]

    def end(_signum, _frame):
        stop(procs)
        shutil.rmtree(folder, ignore_errors=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, end)
    signal.signal(signal.SIGINT, end)
    print(f"CRM: {len(workers)} workers behind HAProxy at http://{args.address}:{args.port}", flush=True)
    while all(p.poll() is None for p in procs):
        time.sleep(0.5)
    gone = next(p for p in procs if p.poll() is not None)
    print(f"{'HAProxy' if gone is proxy else 'a worker'} ended (code {gone.returncode}); stopping the rest",
          file=sys.stderr, flush=True)
    stop(procs)
    shutil.rmtree(folder, ignore_errors=True)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
