"""Media bytes sent by the web server in front of the app (IMGTREE_MEDIA_OFFLOAD).

The app still decides everything about a media request (visibility, the miss budget, ETag and
304, every header); only the body is handed over: the response is empty and names the file,
and the proxy sends it (sendfile, Range, HEAD) as it would a static file.

- `x-accel-redirect` (nginx): `X-Accel-Redirect: <prefix><key>`, an URI of an `internal;`
  location whose `alias` is the media directory (README, "Production behind nginx").
- `x-sendfile` (Apache mod_xsendfile, lighttpd): `X-Sendfile: <absolute path>`.

What the app must not do then: set the file's Content-Length (its body is empty; the proxy
sets its own), answer a Range itself with 206 (the proxy slices the file it sends) or say
Accept-Ranges (the proxy does; nginx would keep both: "bytes, bytes").
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

import attrs
import falcon

from imgtree.domain.errors import NotFound
from imgtree.domain.ports import BlobStorage, LocalPaths

X_ACCEL_REDIRECT: Final = "x-accel-redirect"
X_SENDFILE: Final = "x-sendfile"


@attrs.frozen
class MediaOffload:
    mode: str  # X_ACCEL_REDIRECT or X_SENDFILE
    paths: LocalPaths
    prefix: str = "/_imgtree_media/"

    @classmethod
    def of(cls, mode: str, storage: BlobStorage, prefix: str) -> MediaOffload | None:
        """The offload `mode` names ("" for none), for a storage whose blobs are local files."""
        if not mode:
            return None
        if mode not in (X_ACCEL_REDIRECT, X_SENDFILE):
            raise ValueError(f"unknown media offload {mode!r}")
        if not isinstance(storage, LocalPaths):
            raise ValueError(
                "IMGTREE_MEDIA_OFFLOAD needs storage whose blobs are local files "
                "(IMGTREE_STORAGE=local)"
            )
        return cls(mode, storage, prefix)

    def send(self, resp: falcon.Response, key: str) -> None:
        """Make `resp` (status and headers already set) an empty answer naming the file of
        `key`; NotFound when the file is gone. The storage refuses a key leading out of its
        root (ValueError) before anything names it."""
        path = self.paths.path_for(key)
        if path is None:
            raise NotFound("Image not found")
        if self.mode == X_ACCEL_REDIRECT:
            # The storage checked the key (no "..", no empty or dot segments, inside root);
            # quoting keeps the header one plain URI whatever characters a key may hold.
            resp.set_header("X-Accel-Redirect", self.prefix + quote(key, safe="/"))
        else:
            resp.set_header("X-Sendfile", str(path))
        # The proxy answers Range (and says so itself): kept, the app's would be a duplicate.
        resp.delete_header("Accept-Ranges")
        resp.data = b""
