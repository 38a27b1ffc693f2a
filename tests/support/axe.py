"""axe-core (Deque's accessibility engine, the npm package) for the browser tests.

The package's tarball comes from the npm registry at a pinned version and is checked against
the registry's published sha512 integrity before anything in it is used; it is cached under
var/ so the download happens once per checkout. No node or npm is needed: the tests only
inject `axe.min.js` into the page.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import urllib.request
from pathlib import Path

VERSION = "4.14.1"
TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
CACHE = Path(__file__).resolve().parents[2] / "var" / f"axe-core-{VERSION}.tgz"


def _verified(data: bytes) -> bytes:
    algorithm, _, expected = INTEGRITY.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise RuntimeError(f"axe-core {VERSION}: the tarball does not match its integrity")
    return data


def axe_source() -> str:
    """The text of axe.min.js, downloading (and verifying) the package on first use."""
    if CACHE.is_file():
        data = _verified(CACHE.read_bytes())
    else:
        with urllib.request.urlopen(TARBALL, timeout=60) as response:
            data = _verified(response.read())
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_bytes(data)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        member = archive.extractfile("package/axe.min.js")
        if member is None:
            raise RuntimeError("axe-core: package/axe.min.js missing from the tarball")
        return member.read().decode()
