"""Blobs as objects in an S3 (or S3-compatible: MinIO, R2, Ceph, ...) bucket.

S3 publishes an object only once its whole body has arrived (a single PutObject, or a
CompleteMultipartUpload), so a put is atomic without any temp-object dance: readers see the
old object or the whole new one.

Keys follow the local adapter's rules (`images/<uuid>.jpg`) and a put's content type must
match the key's extension, so every backend agrees on what a key holds. The type, a
year-long immutable Cache-Control and an inline Content-Disposition are stored on the object,
so a bucket or CDN serving it directly sends the same headers as the app.

Every backend failure becomes `StorageUnavailable("Storage unavailable")`: botocore's own
messages name endpoints and buckets, which must not reach clients. The original exception
is kept as `__cause__` for the server's logs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn, TypedDict, cast
from urllib.parse import parse_qs, quote, urlsplit

import boto3.session
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from imgtree.adapters.storage.local import content_type_for
from imgtree.adapters.streams import iter_chunks
from imgtree.domain.errors import StorageUnavailable
from imgtree.domain.ports import BlobInfo

if TYPE_CHECKING:  # stubs only (the dev extra's types-boto3[s3]); never imported at run time
    from types_boto3_s3.client import S3Client

MiB = 1024 * 1024
# Bodies up to this size go up in one PutObject; larger ones as parallel 8 MiB parts (images
# are bounded by IMGTREE_MAX_UPLOAD_BYTES, 20 MiB by default, so multipart is the rare case).
MULTIPART_THRESHOLD = 16 * MiB
MULTIPART_CHUNKSIZE = 8 * MiB
MULTIPART_CONCURRENCY = 4
# open() buffers a download in memory up to this size, then spills to a temp file.
OPEN_SPOOL_SIZE = 8 * MiB
IMAGE_CACHE_CONTROL = "public, max-age=31536000, immutable"

_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})
_BUCKET_MISSING = frozenset({"404", "NoSuchBucket", "NotFound"})
_DOWNLOAD_CHUNK = 1 << 20
_SIGNED_PUT_HEADERS = frozenset({"content-length", "content-type"})

log = logging.getLogger(__name__)


def validate_key(key: str) -> str:
    """Return `key` if it is shaped like an imgtree key; raise ValueError otherwise.

    The same rules as the local adapter, so a key valid on one backend is valid on all:
    no leading slash, backslash, NUL, `..`, empty segment or dot-name segment.
    """
    if not isinstance(key, str) or not key:
        raise ValueError(f"invalid storage key {key!r}")
    if key.startswith("/") or "\\" in key or "\x00" in key or ".." in key:
        raise ValueError(f"invalid storage key {key!r}")
    if any(not s or s.startswith(".") for s in key.split("/")):
        raise ValueError(f"invalid storage key {key!r}")
    return key


def _check_type(key: str, content_type: str) -> None:
    # Same refusal as local: the object would otherwise be served with a type its name denies.
    if content_type.lower() != content_type_for(key):
        raise ValueError(f"content type {content_type!r} does not match key {key!r}")


class _ObjectHeaders(TypedDict, total=False):
    """The headers a put stores on the object (PutObject's keyword arguments of those names)."""

    ContentType: str
    CacheControl: str
    ContentDisposition: str


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _unavailable(operation: str, exc: Exception) -> NoReturn:
    # Log the kind of failure, not str(exc): botocore messages carry the endpoint URL.
    code = _error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    log.warning("S3 %s failed: %s", operation, code)
    raise StorageUnavailable("Storage unavailable") from exc


@contextlib.contextmanager
def _translate(operation: str) -> Iterator[None]:
    """Map SDK failures to StorageUnavailable; anything else (e.g. the caller's stream
    failing mid-upload) propagates unchanged, as in the local adapter."""
    try:
        yield
    except (BotoCoreError, ClientError, Boto3Error) as exc:
        _unavailable(operation, exc)


class S3BlobStorage:
    """`BlobStorage` on one S3 bucket. Safe for many threads (one shared, thread-safe client)."""

    def __init__(
        self,
        *,
        bucket: str,
        region: str | None = None,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        public_base_url: str | None = None,
        path_style: bool = False,
        client: S3Client | None = None,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        multipart_chunksize: int = MULTIPART_CHUNKSIZE,
    ) -> None:
        if not bucket:
            raise ValueError("an S3 bucket name is required")
        if (access_key_id is None) != (secret_access_key is None):
            # Half a key pair would silently fall back to other credentials: refuse instead.
            raise ValueError("set both the S3 access key id and secret access key, or neither")
        self.bucket = bucket
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        owns_client = client is None
        if client is None:
            client = self._make_client(
                region=region,
                endpoint_url=endpoint_url,
                access_key_id=access_key_id,
                secret_access_key=secret_access_key,
                path_style=path_style,
            )
        self._client = client
        self._owns_client = owns_client
        self.region: str | None = region or client.meta.region_name
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=multipart_chunksize,
            max_concurrency=MULTIPART_CONCURRENCY,
        )
        self._multipart_threshold = multipart_threshold

    @staticmethod
    def _make_client(
        *,
        region: str | None,
        endpoint_url: str | None,
        access_key_id: str | None,
        secret_access_key: str | None,
        path_style: bool,
    ) -> S3Client:
        options: dict[str, Any] = {
            "s3": {"addressing_style": "path" if path_style else "auto"},
            "signature_version": "s3v4",
            "retries": {"max_attempts": 3, "mode": "standard"},
            "connect_timeout": 5,
            "read_timeout": 30,
        }
        if endpoint_url:
            # S3-compatible stores often reject the flexible checksums (aws-chunked trailers)
            # botocore sends by default since 1.36; only send them where an API requires them.
            options["request_checksum_calculation"] = "when_required"
            options["response_checksum_validation"] = "when_required"
        # Sessions are not thread-safe, clients are: a private session builds the one client.
        # Keys left None let boto3's credential chain apply (env, shared config, instance role).
        session = boto3.session.Session()
        return session.client(
            "s3",
            region_name=region,
            endpoint_url=endpoint_url or None,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(**options),
        )

    # --- the port ---------------------------------------------------------------------------

    def put(self, key: str, source: BinaryIO, content_type: str) -> BlobInfo:
        validate_key(key)
        _check_type(key, content_type)
        extra: _ObjectHeaders = {"ContentType": content_type_for(key)}
        if extra["ContentType"].startswith("image/"):
            extra["CacheControl"] = IMAGE_CACHE_CONTROL
            extra["ContentDisposition"] = "inline"
        size = _remaining_size(source)
        with _translate("put"):
            if size is not None and size <= self._multipart_threshold:
                # Small and seekable: one request, and botocore rewinds the body on a retry.
                self._client.put_object(
                    Bucket=self.bucket, Key=key, Body=source, ContentLength=size, **extra
                )
            else:
                # Large or a one-way stream: s3transfer reads it part by part (multipart above
                # the threshold, retrying parts from memory) and aborts the upload on failure.
                self._client.upload_fileobj(
                    source, self.bucket, key, ExtraArgs=dict(extra), Config=self._transfer
                )
        info = self.stat(key)
        if info is None:  # deleted by someone else between the upload and here
            raise StorageUnavailable("Blob vanished after writing")
        return info

    def open(self, key: str) -> BinaryIO:
        validate_key(key)
        with _translate("open"):
            try:
                response = self._client.get_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _error_code(exc) in _NOT_FOUND:
                    raise KeyError(key) from None
                raise
        # One GET (not ranged parallel GETs) so the copy is one consistent version even if the
        # key is overwritten meanwhile. Small blobs stay in memory; big ones spill to disk.
        spool = tempfile.SpooledTemporaryFile(max_size=OPEN_SPOOL_SIZE)  # noqa: SIM115
        body = response["Body"]
        try:
            try:
                for chunk in iter_chunks(body, _DOWNLOAD_CHUNK):
                    spool.write(chunk)
            finally:
                body.close()
        except (BotoCoreError, ClientError, OSError) as exc:
            spool.close()
            _unavailable("open", exc)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return cast(BinaryIO, spool)

    def stat(self, key: str) -> BlobInfo | None:
        validate_key(key)
        with _translate("stat"):
            try:
                head = self._client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _error_code(exc) in _NOT_FOUND:
                    return None
                raise
        return BlobInfo(
            key=key,
            size=int(head["ContentLength"]),
            content_type=head.get("ContentType") or content_type_for(key),
            etag=str(head["ETag"]).strip('"'),
            modified_at=_utc(head["LastModified"]),
        )

    def delete(self, key: str) -> None:
        validate_key(key)
        with _translate("delete"):
            # DeleteObject succeeds for absent keys, so this is idempotent as the port requires.
            self._client.delete_object(Bucket=self.bucket, Key=key)

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        paginator = self._client.get_paginator("list_objects_v2")
        with _translate("iter_keys"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", ()):
                    key = item["Key"]
                    # Objects imgtree cannot have made (console "folder/" markers, ...) are
                    # not its keys; yielding them would make purge's delete raise ValueError.
                    try:
                        validate_key(key)
                    except ValueError:
                        continue
                    yield key

    def presign_put(self, key: str, content_type: str, size: int, expires_in: int) -> str | None:
        validate_key(key)
        _check_type(key, content_type)
        if size < 0:
            raise ValueError(f"invalid size {size!r}")
        with _translate("presign_put"):
            # Content-Type and Content-Length are signed headers: S3 refuses the PUT unless
            # the client sends exactly this type and exactly `size` bytes (its HTTP library
            # sends Content-Length from the body), so the URL cannot park a bigger object.
            url: str = self._client.generate_presigned_url(
                "put_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ContentType": content_type,
                    "ContentLength": size,
                },
                ExpiresIn=expires_in,
                HttpMethod="PUT",
            )
        if not signed_headers(url) >= _SIGNED_PUT_HEADERS:
            # An SDK that left either header unsigned would hand out a URL taking any size or
            # type: fall back to the app's own PUT route, which enforces both as bytes arrive.
            log.warning("S3 presign_put: the SDK did not sign content-length and content-type")
            return None
        return url

    def public_url(self, key: str) -> str | None:
        if self.public_base_url is None:
            return None
        return f"{self.public_base_url}/{quote(validate_key(key), safe='/')}"

    @property
    def serves_publicly(self) -> bool:
        return self.public_base_url is not None

    # --- S3 extras --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the client's connection pool, if this storage made the client (a client
        passed in belongs to the caller). Idempotent; the composition root calls it at shutdown."""
        if self._owns_client:
            self._client.close()

    def ensure_bucket(self) -> bool:
        """Create the bucket if it does not exist; True when this call created it."""
        with _translate("ensure_bucket"):
            try:
                self._client.head_bucket(Bucket=self.bucket)
                return False
            except ClientError as exc:
                if _error_code(exc) not in _BUCKET_MISSING:
                    raise
            params: dict[str, Any] = {"Bucket": self.bucket}
            # us-east-1 is the default location and S3 rejects it as an explicit constraint.
            if self.region and self.region != "us-east-1":
                params["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
            try:
                self._client.create_bucket(**params)
            except ClientError as exc:
                if _error_code(exc) == "BucketAlreadyOwnedByYou":  # a concurrent ensure_bucket
                    return False
                raise
            return True


def signed_headers(url: str) -> frozenset[str]:
    """The header names a SigV4 presigned URL signs (its X-Amz-SignedHeaders), lower-case."""
    values = parse_qs(urlsplit(url).query).get("X-Amz-SignedHeaders", [""])
    return frozenset(h for h in values[0].lower().split(";") if h)


def _remaining_size(source: BinaryIO) -> int | None:
    """Bytes from the current position to the end, or None for a non-seekable stream."""
    try:
        if not source.seekable():
            return None
        start = source.tell()
        end = source.seek(0, os.SEEK_END)
        source.seek(start)
    except (AttributeError, OSError, ValueError):
        return None
    return end - start


def _utc(value: datetime) -> datetime:
    # botocore parses HTTP dates as aware (tzutc); normalise to datetime.UTC all the same.
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
