"""A loopback HTTP server that answers from a script, for the client SDK's retry and error
tests: each request takes the next (status, headers, body) and is recorded with its body."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs


@attrs.define
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@attrs.define
class Script:
    answers: list[tuple[int, dict[str, str], Any]]
    seen: list[Seen] = attrs.field(factory=list)


@contextlib.contextmanager
def scripted(*answers: tuple[int, dict[str, str], Any]) -> Iterator[tuple[str, Script]]:
    """Serve `answers` in order (the last one again once they run out); yield the base URL
    and the script, whose `seen` lists the requests."""
    script = Script(list(answers))

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.seen.append(
                Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            status, headers, payload = (
                script.answers.pop(0) if len(script.answers) > 1 else script.answers[0]
            )
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()
