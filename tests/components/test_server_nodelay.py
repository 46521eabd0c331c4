"""server.nodelay_connections: a connection accepted from a socket bound the way Streamlit binds it
(``socket.socket(family)``, protocol 0) gets TCP_NODELAY. Checked on the server's own end of a real
connection, found by its peer address among this process's sockets."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import threading

import pytest
import uvicorn


def _server_side_nodelay(client: tuple[str, int]) -> int | None:
    """TCP_NODELAY of the socket in this process whose peer is ``client`` (the server's end)."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if not os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                continue
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        try:
            if sock.type == socket.SOCK_STREAM and sock.getpeername()[:2] == tuple(client):
                return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        except OSError:
            pass
        finally:
            sock.close()
    return None


async def _app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = json.dumps({"nodelay": _server_side_nodelay(scope["client"])}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
    asyncio.run(server.serve(sockets=[sock]))


def _nodelay_seen(patch: bool) -> list[int | None]:
    """Two requests on one keep-alive connection to a server bound like Streamlit's."""
    import server as module

    if patch:
        module.nodelay_connections()
    sock = socket.socket(family=socket.AF_INET)  # protocol 0, as streamlit's starlette_server binds it
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    server = uvicorn.Server(uvicorn.Config(_app, log_level="warning", http="h11"))
    thread = threading.Thread(target=_serve, args=(server, sock), daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", sock.getsockname()[1], timeout=10)
        seen = []
        for _ in range(2):  # the socket already listens: a request made before serve() starts waits for it
            conn.request("GET", "/")
            seen.append(json.loads(conn.getresponse().read())["nodelay"])
        conn.close()
        return seen
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def unpatched():
    """Put uvicorn's own connection_made back afterwards, so the first case sees the stock behaviour."""
    from uvicorn.protocols.http import h11_impl

    original = h11_impl.H11Protocol.connection_made
    yield
    h11_impl.H11Protocol.connection_made = original


def test_a_connection_accepted_from_a_protocol_zero_socket_gets_nodelay(unpatched):
    assert _nodelay_seen(patch=False) == [0, 0]  # the stock behaviour the fix is for
    assert _nodelay_seen(patch=True) == [1, 1]
    assert _nodelay_seen(patch=True) == [1, 1]  # installing twice is harmless
