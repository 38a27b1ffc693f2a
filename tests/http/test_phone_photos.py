"""HEIC/HEIF and AVIF uploads (issue 16 item 3): published as JPEG, upright, no metadata.

The processor is checked directly (in-process and in the budgeted decode sandbox); the
routes on memory, SQLite + local disk and Postgres + S3: v1 multipart, v1 JSON base64, v1
presign -> PUT -> complete with the declared type image/heic, image/heif or image/avif, the
session route and the guest route. The hostile corpus (tests/hostile/corpus.py, group
"ISO-BMFF") runs a HEIC with EXIF and GPS and the malformed ISO-BMFF cases through all eight
upload routes as well.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

import pytest
from PIL import Image

from imgtree.adapters.imaging import PillowImageProcessor
from imgtree.adapters.imaging.pool import PooledImageProcessor, pool_source
from imgtree.domain.model import ImageFormat
from imgtree.domain.ports import ImageProcessor
from tests.http.test_v1_presign import complete, presign, put
from tests.support import imagegen
from tests.support.app import BASE_URL, App
from tests.support.multipart import encode

MAKERS: dict[str, Callable[..., bytes]] = {"heic": imagegen.heic, "avif": imagegen.avif}
SOURCE = {"heic": ImageFormat.HEIC, "avif": ImageFormat.AVIF}
SECRETS = [imagegen.CAMERA_MAKE.encode(), imagegen.CAMERA_SERIAL.encode(), imagegen.MAKER_NOTE]


def assert_upright_and_clean(jpeg: bytes) -> None:
    """The 64x48 picture (left half blue, right half red) with orientation 6 applied: 48x64,
    blue on top; and no EXIF (so no orientation tag, no GPS), no ICC-less surprises."""
    for secret in SECRETS:
        assert secret not in jpeg
    im = Image.open(io.BytesIO(jpeg))
    assert im.format == "JPEG"
    assert im.size == (48, 64)
    exif = im.getexif()
    assert dict(exif) == {}
    assert not exif.get_ifd(0x8825)
    rgb = im.convert("RGB")
    top, bottom = rgb.getpixel((24, 8)), rgb.getpixel((24, 56))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[2] > 200 and top[0] < 60, top  # blue
    assert bottom[0] > 200 and bottom[2] < 60, bottom  # red


@pytest.fixture(params=["pillow", "pooled"], scope="module")
def processor(request: pytest.FixtureRequest) -> ImageProcessor:
    if request.param == "pillow":
        return PillowImageProcessor()
    return PooledImageProcessor(pool_source(None, 1))


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_processor_publishes_upright_jpeg_without_metadata(
    processor: ImageProcessor, kind: str
) -> None:
    data = MAKERS[kind]()
    assert imagegen.CAMERA_MAKE.encode() in data  # the input really carries EXIF
    done = processor.process(io.BytesIO(data))
    try:
        assert done.info.format is ImageFormat.JPEG
        assert done.info.source_format is SOURCE[kind]
        assert (done.info.width, done.info.height) == (48, 64)
        published = done.published.read()
        assert len(published) == done.published_size
        assert_upright_and_clean(published)
        thumb = Image.open(done.thumbnail)
        assert thumb.size == (48, 64)
    finally:
        done.published.close()
        done.thumbnail.close()


def test_inspect_reads_the_sniffed_type(processor: ImageProcessor) -> None:
    info = processor.inspect(io.BytesIO(imagegen.heic()))
    assert info.format is ImageFormat.HEIC
    assert (info.width, info.height) == (48, 64) or (info.width, info.height) == (64, 48)


# --- every upload route --------------------------------------------------------------------

BACKENDS = ["memory", "sqlite", "postgres_s3"]


@pytest.fixture(params=BACKENDS)
def app(make_app: Callable[..., App], request: pytest.FixtureRequest) -> App:
    return make_app(backend=request.param)


def fetch_published(app: App, image: dict[str, object]) -> bytes:
    url = str(image["direct_url"])
    assert url.endswith(".jpg"), url  # the slug URL follows the published format
    r = app.client.simulate_get(url.removeprefix(BASE_URL))
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    return r.content


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_v1_multipart_and_json(app: App, kind: str) -> None:
    data = MAKERS[kind]()
    ctype = f"image/{kind}"
    body, multipart = encode([("file", f"IMG_0001.{kind.upper()}", ctype, data)], {})
    headers = app.auth()
    r = app.client.simulate_post(
        "/api/v1/upload", body=body, headers={**headers, "Content-Type": multipart}
    )
    assert r.status_code == 200, r.text
    assert_upright_and_clean(fetch_published(app, r.json["images"][0]))

    doc = {"filename": f"b.{kind}", "file_base64": base64.b64encode(data).decode()}
    r = app.client.simulate_post("/api/v1/upload", json=doc, headers=headers)
    assert r.status_code == 200, r.text
    assert_upright_and_clean(fetch_published(app, r.json["images"][0]))


@pytest.mark.parametrize(("kind", "declared"), [("heic", "image/heic"), ("heic", "image/heif"),
                                                ("avif", "image/avif")])  # fmt: skip
def test_v1_presign_put_complete(app: App, kind: str, declared: str) -> None:
    data = MAKERS[kind]()
    headers = app.auth()
    r = presign(app, headers, filename=f"IMG.{kind}", contentType=declared, sizeBytes=len(data))
    assert r.status_code == 200, r.text
    assert put(app, r.json["put_url"], data, declared) == 200
    done = complete(app, headers, r.json["completion_token"])
    assert done.status_code == 200, done.text
    assert_upright_and_clean(fetch_published(app, done.json["images"][0]))


def test_presign_declared_heic_but_png_sent_is_refused(app: App) -> None:
    data = imagegen.png()
    headers = app.auth()
    r = presign(app, headers, filename="x.heic", contentType="image/heic", sizeBytes=len(data))
    assert r.status_code == 200, r.text
    assert put(app, r.json["put_url"], data, "image/heic") == 200
    done = complete(app, headers, r.json["completion_token"])
    assert done.status_code == 415, done.text


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_guest_route(make_app: Callable[..., App], backend: str) -> None:
    """The session route and the guest presign run the same HEIC in the hostile corpus
    (case heic-iphone-exif-gps, every route); here the pixels are checked too."""
    app = make_app(backend=backend, guest_uploads=True)
    body, multipart = encode([("file", "IMG_0002.HEIC", "image/heic", imagegen.heic())], {})
    r = app.client.simulate_post(
        "/api/upload/guest", body=body, headers={"Content-Type": multipart}
    )
    assert r.status_code == 200, r.text
    assert_upright_and_clean(fetch_published(app, r.json["images"][0]))
