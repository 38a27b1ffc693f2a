"""imgtree.client: a small typed client for any imgtree server's /api/v1 Bearer API.

It speaks HTTP only (requests), imports nothing from the server's own packages (an
import-linter contract holds it to that), and is what `imgtree upload` and `imgtree login`
use::

    from imgtree.client import Client, UploadSource

    with Client("https://img.example.com", key="imgt_...") as client:
        [image] = client.upload([UploadSource.from_path("cat.png")])
        print(image.url)

429 and 503 answers are retried after the server's Retry-After; errors are `ApiError`
(`status`, the server's `message`), `AuthError`, `RateLimited` and `ServerUnreachable`.
"""

from imgtree.client.bulk import BulkUpload, FileOutcome, UploadEvents, plan
from imgtree.client.client import Client, RetryNotice
from imgtree.client.config import (
    ClientConfig,
    ConfigError,
    config_path,
    load_config,
    resolve,
    save_config,
)
from imgtree.client.errors import (
    ApiError,
    AuthError,
    ImgtreeError,
    RateLimited,
    ServerUnreachable,
)
from imgtree.client.retry import RetryPolicy
from imgtree.client.types import (
    Capabilities,
    ImagePage,
    ListedImage,
    Presigned,
    UploadedImage,
    UploadFailure,
    UploadResult,
    UploadSource,
)

__all__ = [
    "ApiError",
    "AuthError",
    "BulkUpload",
    "Capabilities",
    "Client",
    "ClientConfig",
    "ConfigError",
    "FileOutcome",
    "ImagePage",
    "ImgtreeError",
    "ListedImage",
    "Presigned",
    "RateLimited",
    "RetryNotice",
    "RetryPolicy",
    "ServerUnreachable",
    "UploadEvents",
    "UploadFailure",
    "UploadResult",
    "UploadSource",
    "UploadedImage",
    "config_path",
    "load_config",
    "plan",
    "resolve",
    "save_config",
]
