"""Drive a live `imgtree serve` through the Python client openapi-python-client generated from
the server's own /api/v1/openapi.json (package `imgtree_client`, never edited).

Hand-written; run by tests/clients/test_generated_clients.py with the generator's isolated
interpreter (which has the client's dependencies: httpx, attrs, python-dateutil) and the
generated package on sys.path:

    python python_driver.py GENERATED_DIR BASE_URL API_KEY IMAGE_DIR

IMAGE_DIR holds a.png, b.jpg (multipart), c.png (JSON base64), d.png (presign) and e.png,
f.png (batch presign). Any unexpected answer raises: the process exits non-zero. The last line
printed is a JSON summary the test checks against the server on its own.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, sys.argv[1])

from imgtree_client import AuthenticatedClient, Client
from imgtree_client.api.public import get_media
from imgtree_client.api.session import delete_image_by_token
from imgtree_client.api.v1 import (
    complete_upload,
    complete_uploads,
    delete_image,
    get_capabilities,
    list_images,
    presign_upload,
    presign_uploads,
    upload_images,
)
from imgtree_client.models import (
    Capabilities,
    CompleteBatchRequest,
    CompleteRequest,
    Deleted,
    ImagePage,
    Presign,
    PresignBatch,
    PresignBatchRequest,
    PresignedUpload,
    PresignFile,
    PresignFileContentType,
    PresignRequest,
    PresignRequestContentType,
    UploadedImage,
    UploadJson,
    UploadMultipart,
    UploadResponse,
)
from imgtree_client.types import File

BASE_URL, API_KEY, IMAGE_DIR = sys.argv[2], sys.argv[3], Path(sys.argv[4])


def image(name: str) -> bytes:
    return (IMAGE_DIR / name).read_bytes()


def media_type(name: str) -> str:
    return "image/png" if name.endswith(".png") else "image/jpeg"


def expect(value: Any, kind: type, what: str) -> Any:
    if not isinstance(value, kind):
        raise AssertionError(f"{what}: {value!r}")
    return value


def landed(response: Any, what: str) -> list[UploadedImage]:
    result = expect(response, UploadResponse, what)
    return [expect(item, UploadedImage, what) for item in result.images]


def put_bytes(put_url: str, content_type: str, data: bytes) -> None:
    """PUT the bytes to the put_url with the presign's Content-Type. The same call suits a
    bucket's presigned URL; the app's own PUT route (local storage) takes exactly the declared
    image type, which openapi-python-client 0.29 cannot send (it generates raw bodies only as
    application/octet-stream), so a generated Client's httpx client sends it (without the API
    key: the URL is the credential)."""
    plain = Client(base_url=BASE_URL).get_httpx_client()
    response = plain.put(put_url, content=data, headers={"Content-Type": content_type})
    if response.status_code != 200:
        raise AssertionError(f"PUT {put_url}: {response.status_code} {response.text}")


def main() -> None:
    client = AuthenticatedClient(base_url=BASE_URL, token=API_KEY, raise_on_unexpected_status=True)

    # Discovery.
    caps = expect(get_capabilities.sync(client=client), Capabilities, "discovery")
    assert "image/png" in [t.value for t in caps.allowed_types], caps.allowed_types
    assert "upload" in [s.value for s in caps.scopes], caps.scopes

    # Multipart upload of two files.
    files = [
        File(payload=image(n), file_name=n, mime_type=media_type(n)) for n in ("a.png", "b.jpg")
    ]
    uploaded = landed(
        upload_images.sync(client=client, body=UploadMultipart(file=files)), "multipart"
    )
    assert len(uploaded) == 2, uploaded

    # JSON base64 upload.
    body = UploadJson(filename="c.png", file_base64=base64.b64encode(image("c.png")).decode())
    uploaded += landed(upload_images.sync(client=client, body=body), "json")

    # Presign, PUT, complete.
    d = image("d.png")
    presigned = expect(
        presign_upload.sync(
            client=client,
            body=PresignRequest(
                filename="d.png",
                content_type=PresignRequestContentType.IMAGEPNG,
                size_bytes=len(d),
            ),
        ),
        Presign,
        "presign",
    )
    put_bytes(presigned.put_url, presigned.headers.content_type.value, d)
    done = complete_upload.sync(
        client=client, body=CompleteRequest(completion_token=presigned.completion_token)
    )
    uploaded += landed(done, "complete")

    # The same as a batch.
    names = ["e.png", "f.png"]
    batch = expect(
        presign_uploads.sync(
            client=client,
            body=PresignBatchRequest(
                files=[
                    PresignFile(
                        filename=n,
                        content_type=PresignFileContentType(media_type(n)),
                        size_bytes=len(image(n)),
                    )
                    for n in names
                ]
            ),
        ),
        PresignBatch,
        "presign batch",
    )
    tokens = []
    for name, item in zip(names, batch.uploads, strict=True):
        item = expect(item, PresignedUpload, f"presign {name}")
        put_bytes(item.put_url, item.headers.content_type.value, image(name))
        tokens.append(item.completion_token)
    finished = complete_uploads.sync(
        client=client, body=CompleteBatchRequest(completion_tokens=tokens)
    )
    uploaded += landed(finished, "complete batch")
    assert len(uploaded) == 6, uploaded

    # List: every upload is there; the listing gives each slug's UUID.
    page = expect(list_images.sync(client=client, limit=50), ImagePage, "list")
    by_slug = {i.slug: i for i in page.images}
    assert all(u.id in by_slug for u in uploaded), (uploaded, by_slug)

    # The published bytes, through the generated media operation (a File).
    media = {}
    for u in uploaded:
        filename = urlsplit(u.direct_url).path.rsplit("/", 1)[-1]
        got = expect(get_media.sync(filename, client=client), File, f"media {filename}")
        media[u.id] = hashlib.sha256(got.payload.read()).hexdigest()

    # Delete by id, and by token (the delete_url: its image id and token).
    by_id, by_token = uploaded[0], uploaded[1]
    deleted = expect(
        delete_image.sync(by_slug[by_id.id].id, client=client), Deleted, "delete by id"
    )
    assert deleted.slug == by_id.id, deleted
    url = urlsplit(by_token.delete_url)
    token = parse_qs(url.query)["token"][0]
    image_id = url.path.rsplit("/", 1)[-1]
    via_token = expect(
        delete_image_by_token.sync(image_id, client=client, token=token), Deleted, "by token"
    )
    assert via_token.slug == by_token.id, via_token

    after = expect(list_images.sync(client=client, limit=50), ImagePage, "list after")
    left = {i.slug for i in after.images}
    assert by_id.id not in left and by_token.id not in left, left

    print(
        json.dumps(
            {
                "uploaded": [u.id for u in uploaded],
                "media_sha256": media,
                "deleted_by_id": by_id.id,
                "deleted_by_token": by_token.id,
            }
        )
    )


if __name__ == "__main__":
    main()
