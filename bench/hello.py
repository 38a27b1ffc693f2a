"""The framework's floor: a falcon hello-world route served by `imgtree serve` itself.

`python -m bench.hello serve --bind ... --workers N` runs the very same gunicorn
configuration as `imgtree serve` (cli.cmd_serve), with create_app swapped for a one-route
falcon app, so the comparison isolates what imgtree's own code costs per request.
"""

from __future__ import annotations

import sys
from typing import Any

import falcon

import imgtree.entrypoints.http.app as app_module
from imgtree.entrypoints import cli


class Hello:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "Hello, world!\n"


def create_hello_app(container: Any = None) -> falcon.App:
    app = falcon.App()
    app.add_route("/hello", Hello())
    app.add_route("/api/v1/upload", Hello())  # the readiness probe the harness uses
    return app


if __name__ == "__main__":
    app_module.create_app = create_hello_app  # type: ignore[assignment]  # looked up after fork
    sys.exit(cli.main(sys.argv[1:]))
