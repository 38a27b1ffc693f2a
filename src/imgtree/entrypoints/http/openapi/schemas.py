"""components/schemas: every request body and response shape, exactly as the presenters build
them (`additionalProperties: false`), so a drift between the two fails the tests."""

from __future__ import annotations

from imgtree.domain.model import (
    MAX_CONTENT_PASSWORD,
    MAX_EXPIRES_IN,
    MAX_IMAGE_DESCRIPTION,
    MAX_REPORT_TEXT,
    ReportReason,
)
from imgtree.domain.use_cases.albums import MAX_ARRANGE
from imgtree.domain.use_cases.bulk import MAX_BULK_IDS
from imgtree.entrypoints.http.openapi.builders import (
    BOOL,
    FALSE,
    IMAGE_TYPE,
    NON_NEGATIVE,
    PAGING,
    SLUG,
    STRING,
    TIMESTAMP,
    TRUE,
    URL,
    UUID,
    Schema,
    binary,
    nullable,
    obj,
    one_spelling,
    ref,
)
from imgtree.entrypoints.http.openapi.limits import (
    BATCH_LIMIT,
    MAX_CLAIM_ITEMS,
    MAX_CLAIM_TOKEN_CHARS,
    MAX_DESCRIPTION,
    MAX_KEY_NAME,
    MAX_PASSWORD_LENGTH,
    MAX_TITLE,
    MIN_PASSWORD_LENGTH,
    SCOPE_NAMES,
)

# A 2x2 PNG: the JSON upload example (a real image, so the example succeeds).
EXAMPLE_PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGM8ISfHwMDAxMDAwMDAAAANBAEIfXHKZgAAAABJRU5ErkJggg=="

# Text imgtree keeps never holds a NUL (no database text column does: Postgres refuses it):
# 400 "... must not contain NUL characters".
NO_NUL: Schema = {"pattern": "^[^\\u0000]*$"}
# A name that must say something: not only whitespace (it is stripped), and no NUL.
NOT_BLANK: Schema = {"pattern": "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"}

VISIBILITY: Schema = {
    "type": "string",
    "enum": ["public", "unlisted", "private"],
    "description": "public: anyone with the link, and listed on the owner's public profile; "
    "unlisted (the default): anyone with the link; private: only the owner (404 for others). "
    "Instead of isPublic (true: unlisted, false: private), never with it.",
}
# "Delete after" (issue 17 item 2): the same schema under both spellings, never both at once.
EXPIRES_IN: Schema = {
    **nullable({"type": "integer", "minimum": 1, "maximum": MAX_EXPIRES_IN}),
    "description": "Delete the image this many seconds later (1 up to ten years); from that "
    "moment it is 404 for everyone, its owner included, and `imgtree purge` removes it. "
    "Absent or null: never. expiresIn and expires_in are one field: send one of them.",
}
EXPIRY: dict[str, Schema] = {"expiresIn": EXPIRES_IN, "expires_in": EXPIRES_IN}
EXPIRY_SPELLINGS = ("expiresIn", "expires_in")
# A multipart field is text: decimal seconds ("" or absent: never). The server takes up to
# MAX_EXPIRES_IN; the pattern documents up to 8 digits, all of which it takes.
EXPIRES_IN_FIELD: Schema = {
    "type": "string",
    "pattern": "^([1-9][0-9]{0,7})?$",
    "description": EXPIRES_IN["description"],
}
EXPIRY_FIELDS: dict[str, Schema] = {"expiresIn": EXPIRES_IN_FIELD, "expires_in": EXPIRES_IN_FIELD}
EXPIRES_AT: Schema = {
    **nullable(TIMESTAMP),
    "description": "When the image is deleted (ISO 8601 UTC); null: never.",
}

# Guests have no account to see a private image with: private is 400 for them.
GUEST_VISIBILITY: Schema = {**VISIBILITY, "enum": ["public", "unlisted"]}

# Every image object's placeholder (issue 16): null for images uploaded before it.
PLACEHOLDER: dict[str, Schema] = {
    "blurhash": {
        **nullable(
            {"type": "string", "pattern": "^[0-9A-Za-z#$%*+,\\-.:;=?@\\[\\]^_{|}~]{6,166}$"}
        ),
        "description": "A BlurHash (https://blurha.sh) of the picture, 4x3 components, "
        "made from its thumbnail at upload: decode it to a tiny image to show while the "
        "picture loads. Transparent parts are filled with dominant_color. null: the image "
        "predates placeholders, or has no visible pixel.",
    },
    "dominant_color": {
        **nullable({"type": "string", "pattern": "^#[0-9a-f]{6}$"}),
        "description": 'The picture\'s dominant colour, "#rrggbb" lower-case: the mean of the '
        "most common colour of its thumbnail (8 levels a channel, fully transparent pixels "
        "ignored). Also the image page's theme-color. null: as for blurhash.",
    },
}

_LISTED_IMAGE: dict[str, Schema] = {
    "id": {**UUID, "description": "The image's UUID (used to delete it)."},
    "slug": SLUG,
    "url": URL,
    "direct_url": URL,
    "thumb_url": URL,
    "original_name": STRING,
    "content_type": IMAGE_TYPE,
    "size_bytes": NON_NEGATIVE,
    "width": NON_NEGATIVE,
    "height": NON_NEGATIVE,
    "created_at": TIMESTAMP,
    "visibility": VISIBILITY,
    "expires_at": EXPIRES_AT,
    "codes": ref("EmbedCodes"),
    "renditions": ref("Renditions"),
    "page_views": {
        **NON_NEGATIVE,
        "description": "Times its page was opened (counted in batches: up to "
        "IMGTREE_VIEW_FLUSH_SECONDS behind).",
    },
    "media_hits": {
        **NON_NEGATIVE,
        "description": "Times the picture itself was fetched through the app (direct link "
        "or a rendition; not thumbnails, not bytes a public bucket or CDN served).",
    },
    **PLACEHOLDER,
    "rendition_formats": ref("RenditionFormats"),
    "password_protected": {
        **BOOL,
        "description": "It has a password of its own (visitors enter it before they see it; "
        "its album may have another). Never the password or its hash. To visitors of a "
        "public album, such an image's blurhash and dominant_color are null until unlocked.",
    },
}

CONTENT_PASSWORD: Schema = {
    **nullable({"type": "string", "maxLength": MAX_CONTENT_PASSWORD}),
    "description": "The password visitors enter before they see it (stored only as an "
    'argon2id hash; a new one revokes every earlier unlock); null or "" removes it.',
}

_USER: dict[str, Schema] = {
    "id": UUID,
    "email": STRING,
    "name": STRING,
    "role": {"type": "string", "enum": ["user", "admin"]},
    "active": BOOL,
    "quota_bytes": {
        **nullable(NON_NEGATIVE),
        "description": "Storage quota in bytes; null means unlimited.",
    },
    "used_bytes": NON_NEGATIVE,
    "created_at": nullable(TIMESTAMP),
    "two_factor_enabled": BOOL,
}

_ALBUM: dict[str, Schema] = {
    "id": UUID,
    "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE, **NOT_BLANK},
    "description": STRING,
    "isPublic": BOOL,
    "created_at": nullable(TIMESTAMP),
    "cover_image_id": {
        **nullable(UUID),
        "description": "The image the owner picked as cover (its id); null: the first image "
        "in the album's order is the cover. A picked image that left the album is ignored.",
    },
    "codes": ref("AlbumCodes"),
    "password_protected": {
        **BOOL,
        "description": "Visitors enter a password before they see the album and its images "
        "(the owner and admins never do). Never the password or its hash.",
    },
}

_API_KEY: dict[str, Schema] = {
    "id": UUID,
    "name": STRING,
    "prefix": {"type": "string", "pattern": "^imgt_", "description": "Public part of the key."},
    "created_at": nullable(TIMESTAMP),
    "last_used_at": nullable(TIMESTAMP),
    "revoked_at": nullable(TIMESTAMP),
    "active": BOOL,
    "upload_count": NON_NEGATIVE,
    "scopes": {
        "type": "array",
        "items": {"type": "string", "enum": SCOPE_NAMES},
        "description": "What the key may do; admin acts only while its owner is an admin.",
    },
    "expires_at": {
        **nullable(TIMESTAMP),
        "description": "When the key stops working; null: never.",
    },
}

_PRESIGN_FILE: dict[str, Schema] = {
    "filename": {"type": "string", "minLength": 1},
    "contentType": IMAGE_TYPE,
    "sizeBytes": {"type": "integer", "minimum": 1},
}

_ALBUM_CHOICE: dict[str, Schema] = {
    "albumId": {
        **nullable(UUID),
        "description": "An album of yours (404 when it is not); not a UUID is 400.",
    },
    "isPublic": {**BOOL, "description": "Default true."},
    "visibility": VISIBILITY,
    **EXPIRY,
}

_CLAIM_TOKEN: Schema = {"type": "string", "minLength": 1, "maxLength": MAX_CLAIM_TOKEN_CHARS}

_IMAGE_ORDER: Schema = {
    "type": "array",
    "maxItems": MAX_ARRANGE,
    "uniqueItems": True,
    "items": UUID,
    "description": "Every image in the album (their `id`), first to last.",
}

_BULK_IDS: Schema = {
    "type": "array",
    "minItems": 1,
    "maxItems": MAX_BULK_IDS,
    "uniqueItems": True,
    "items": UUID,
    "description": "Your images' ids (`id`); more, none, a repeat or a non-UUID is 400.",
}

SCHEMAS: dict[str, Schema] = {
    "Error": {
        **obj(
            {"success": FALSE, "error": {"type": "string", "minLength": 1}},
            {
                "quota": {
                    **obj(
                        {
                            "used_bytes": NON_NEGATIVE,
                            "quota_bytes": NON_NEGATIVE,
                            "needed_bytes": NON_NEGATIVE,
                            "reserved_bytes": NON_NEGATIVE,
                        }
                    ),
                    "description": "On a 413 quota refusal: the figures the message states "
                    "(bytes used, the quota, what the file needs, what unfinished presigned "
                    "uploads hold).",
                }
            },
        ),
        "description": "Every error, whatever the route: a human-readable message.",
    },
    "LoginError": {
        **obj(
            {"success": FALSE, "error": {"type": "string", "minLength": 1}},
            {
                "two_factor_required": {
                    **TRUE,
                    "description": "The password was right; send it again with `code` (a "
                    "TOTP code from the authenticator app, or a recovery code).",
                }
            },
        ),
        "description": "A refused sign-in. No session is started.",
    },
    "UploadError": {
        **obj(
            {"success": FALSE, "error": {"type": "string", "minLength": 1}},
            {"images": {"type": "array", "items": ref("FailedItem")}},
        ),
        "description": "An upload where nothing landed: the first failure's status and message, "
        "and (when files were read) each file's failure in request order.",
    },
    "EmbedCodes": {
        **obj(
            {
                "page": {**URL, "description": "The image page /i/{slug}: what people share."},
                "direct": URL,
                "markdown": STRING,
                "html": STRING,
                "bbcode": STRING,
                "markdown_thumb": STRING,
                "html_thumb": STRING,
                "bbcode_thumb": STRING,
            }
        ),
        "description": "Every way to share the image, in the order the web app's share panel "
        "shows them. Alt text is the image's title, or its file name when it has none.",
    },
    "AlbumCodes": {
        **obj(
            {
                "page": {**URL, "description": "The album page /albums/{id}."},
                "markdown": {**STRING, "description": "[title](page)"},
                "html": {**STRING, "description": '<a href="page">title</a>, title escaped.'},
                "bbcode": {**STRING, "description": "[url=page]title[/url]"},
            }
        ),
        "description": "Every way to share the album, in the order the share panel shows them.",
    },
    "UploadedImage": obj(
        {
            "id": {**SLUG, "description": "The image slug (public page /i/{slug})."},
            "url": URL,
            "direct_url": URL,
            "thumb_url": URL,
            "delete_url": {
                **URL,
                "description": "/api/images/{uuid}?token={delete_token}; shown only once.",
            },
            "visibility": VISIBILITY,
            "expires_at": EXPIRES_AT,
            "codes": ref("EmbedCodes"),
            "renditions": ref("Renditions"),
            **PLACEHOLDER,
            "rendition_formats": ref("RenditionFormats"),
            "password_protected": _LISTED_IMAGE["password_protected"],
        }
    ),
    "Renditions": {
        "type": "object",
        "propertyNames": {"pattern": "^[a-z][a-z0-9]{0,15}$"},
        "additionalProperties": URL,
        "description": "{name: URL} of the sized renditions the image has, smallest first: "
        "the operator's presets (IMGTREE_RENDITION_SIZES, by default small 640 px, medium "
        "1280 px, large 2048 px on the longest edge) smaller than the image, in the image's "
        "own format (an animation stays animated). Each is made on its first request "
        "(/media/{name}/{slug}.{ext}).",
    },
    "RenditionFormats": {
        "type": "object",
        "propertyNames": {"enum": ["webp", "avif"]},
        "additionalProperties": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z][a-z0-9]{0,15}$"},
            "additionalProperties": URL,
        },
        "description": "{format: {name: URL}} of the renditions the image has in other "
        "formats (IMGTREE_RENDITION_FORMATS, by default WebP and AVIF; AVIF first; never the "
        "image's own format, nor one that cannot keep an animation): the same presets as "
        "`renditions`, then `full`, the whole image converted "
        "(/media/{name}/{slug}.webp, /media/full/{slug}.avif).",
    },
    "FailedItem": obj(
        {
            "error": {"type": "string", "minLength": 1},
            "status": {
                "type": "integer",
                "enum": [400, 401, 403, 404, 409, 413, 415, 422, 451, 503],
            },
        },
        {"filename": STRING},
    ),
    "UploadResponse": obj(
        {
            "success": TRUE,
            "images": {
                "type": "array",
                "minItems": 1,
                "items": {"anyOf": [ref("UploadedImage"), ref("FailedItem")]},
                "description": "One entry per file (or token), in request order.",
            },
        }
    ),
    "UploadJson": {
        **obj(
            {},
            {
                "filename": STRING,
                "contentType": {**STRING, "description": "Informative only: never trusted."},
                "file_base64": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Base64 (or a data: URL) of the image bytes.",
                },
                "base64": {"type": "string", "minLength": 1, "description": "Alias."},
                "albumId": _ALBUM_CHOICE["albumId"],
                "visibility": VISIBILITY,
                "isPublic": _ALBUM_CHOICE["isPublic"],
                **EXPIRY,
            },
        ),
        **one_spelling(
            ("visibility", "isPublic"),
            EXPIRY_SPELLINGS,
            required=(("file_base64", "base64"),),
        ),
        "description": "One image as base64: `file_base64` (or its alias `base64`, exactly one "
        "of the two).",
        "examples": [{"filename": "dot.png", "file_base64": EXAMPLE_PNG_BASE64}],
    },
    "UploadMultipart": {
        "type": "object",
        "properties": {
            "file": {
                "type": "array",
                "minItems": 1,
                "maxItems": BATCH_LIMIT,
                "items": binary(),
                "description": "Repeat the field for several images.",
            },
            "albumId": UUID,
            **EXPIRY_FIELDS,
        },
        "required": ["file"],
        **one_spelling(EXPIRY_SPELLINGS),
    },
    "SessionUploadMultipart": {
        "type": "object",
        "properties": {
            "files": {
                "type": "array",
                "minItems": 1,
                "maxItems": BATCH_LIMIT,
                "items": binary(),
                "description": "Repeat the field for several images (`file` is an alias).",
            },
            "albumId": UUID,
            "isPublic": {"type": "string", "enum": ["true", "false"]},
            "visibility": VISIBILITY,
            **EXPIRY_FIELDS,
        },
        "required": ["files"],
        **one_spelling(("visibility", "isPublic"), EXPIRY_SPELLINGS),
    },
    "GuestUploadMultipart": {
        "type": "object",
        "properties": {
            "files": {
                "type": "array",
                "minItems": 1,
                "maxItems": BATCH_LIMIT,
                "items": binary(),
                "description": "Repeat the field for several images (`file` is an alias).",
            },
            "visibility": GUEST_VISIBILITY,
            **EXPIRY_FIELDS,
        },
        "required": ["files"],
        **one_spelling(EXPIRY_SPELLINGS),
    },
    "Capabilities": obj(
        {
            "success": TRUE,
            "max_file_size_bytes": {"type": "integer", "minimum": 1},
            "allowed_types": {"type": "array", "items": IMAGE_TYPE},
            "presign_expires_seconds": {"type": "integer", "minimum": 1},
            "batch_limit": {"type": "integer", "minimum": 1},
            "rate_limit": obj({"per_minute": {"type": "integer", "minimum": 1}, "text": STRING}),
            "pagination": obj(
                {
                    "default_limit": {"type": "integer", "minimum": 1},
                    "max_limit": {"type": "integer", "minimum": 1},
                }
            ),
            "auth": obj({"header": {"const": "Authorization"}, "scheme": {"const": "Bearer"}}),
            "processing": {
                **obj(
                    {
                        name: {"type": "integer", "minimum": 1}
                        for name in (
                            "max_image_pixels",
                            "max_image_side",
                            "max_frames",
                            "cpu_seconds",
                            "wall_seconds",
                            "memory_bytes",
                            "concurrent",
                            "queue_seconds",
                        )
                    }
                ),
                "description": "Image limits checked before decoding, and the hard budget of"
                " one file's verification (past it: 422). `concurrent` decodes run at once;"
                " a file waits at most `queue_seconds` for one (then 503 with Retry-After).",
            },
            "routes": {
                "type": "array",
                "items": obj(
                    {
                        "method": {"type": "string", "enum": ["GET", "POST", "PUT", "DELETE"]},
                        "path": STRING,
                        "description": STRING,
                    }
                ),
            },
        },
        {
            "quota": ref("Quota"),
            "scopes": {
                "type": "array",
                "items": {"type": "string", "enum": SCOPE_NAMES},
                "description": "Only with a valid API key: the scopes it acts with now.",
            },
            "key_expires_at": {
                **nullable(TIMESTAMP),
                "description": "Only with a valid API key: when it expires (null: never).",
            },
        },
    ),
    "Quota": {
        **obj(
            {
                "used_bytes": NON_NEGATIVE,
                "quota_bytes": nullable(NON_NEGATIVE),
                "remaining_bytes": nullable(NON_NEGATIVE),
            }
        ),
        "description": "Only with a valid API key. null quota: unlimited.",
    },
    "PresignRequest": {
        **obj(
            {"filename": _PRESIGN_FILE["filename"]},
            {
                "contentType": _PRESIGN_FILE["contentType"],
                "content_type": {**IMAGE_TYPE, "description": "Alias of contentType."},
                "sizeBytes": _PRESIGN_FILE["sizeBytes"],
                "size_bytes": {
                    **_PRESIGN_FILE["sizeBytes"],
                    "description": "Alias of sizeBytes.",
                },
                **_ALBUM_CHOICE,
            },
        ),
        **one_spelling(
            ("visibility", "isPublic"),
            EXPIRY_SPELLINGS,
            required=(("contentType", "content_type"), ("sizeBytes", "size_bytes")),
        ),
        "description": "One file to upload: its type (`contentType` or `content_type`) and size "
        "(`sizeBytes` or `size_bytes`), one spelling of each.",
        "examples": [{"filename": "photo.jpg", "contentType": "image/jpeg", "sizeBytes": 123456}],
    },
    "PresignFile": obj(
        {
            "filename": _PRESIGN_FILE["filename"],
            "contentType": _PRESIGN_FILE["contentType"],
            "sizeBytes": _PRESIGN_FILE["sizeBytes"],
        }
    ),
    "PresignBatchRequest": obj(
        {
            "files": {
                "type": "array",
                "minItems": 1,
                "maxItems": BATCH_LIMIT,
                "items": ref("PresignFile"),
            }
        },
        _ALBUM_CHOICE,
    )
    | one_spelling(("visibility", "isPublic"), EXPIRY_SPELLINGS),
    "PresignedUpload": obj(
        {
            "put_url": {**URL, "description": "PUT the raw bytes here."},
            "completion_token": {"type": "string", "minLength": 1},
            "method": {"const": "PUT"},
            "headers": obj({"Content-Type": IMAGE_TYPE}),
            "expires_at": TIMESTAMP,
        }
    ),
    "Presign": {
        **obj(
            {
                "success": TRUE,
                "put_url": URL,
                "completion_token": {"type": "string", "minLength": 1},
                "method": {"const": "PUT"},
                "headers": obj({"Content-Type": IMAGE_TYPE}),
                "expires_at": TIMESTAMP,
            }
        ),
        "description": "PUT the bytes to put_url with the declared Content-Type, then complete.",
    },
    "PresignFailedItem": obj(
        {
            "error": {"type": "string", "minLength": 1},
            "status": {
                "type": "integer",
                "enum": [400, 403, 404, 409, 413, 415, 429, 503],
                "description": "413: over the maximum size or the storage quota (open presigns "
                "reserve their declared bytes); 429: too many unfinished presigned uploads.",
            },
        }
    ),
    "PresignBatch": obj(
        {
            "success": TRUE,
            "uploads": {
                "type": "array",
                "items": {"anyOf": [ref("PresignedUpload"), ref("PresignFailedItem")]},
                "description": "In the order of `files`.",
            },
        }
    ),
    "CompleteRequest": {
        **obj(
            {},
            {
                "completion_token": {"type": "string", "minLength": 1},
                "token": {"type": "string", "minLength": 1, "description": "Alias."},
            },
        ),
        **one_spelling(required=(("completion_token", "token"),)),
        "description": "`completion_token` (or its alias `token`, exactly one of the two).",
    },
    "CompleteBatchRequest": {
        **obj(
            {},
            {
                "completion_tokens": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": BATCH_LIMIT,
                    "items": {"type": "string", "minLength": 1},
                },
                "tokens": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": BATCH_LIMIT,
                    "items": {"type": "string", "minLength": 1},
                    "description": "Alias.",
                },
            },
        ),
        **one_spelling(required=(("completion_tokens", "tokens"),)),
        "description": "`completion_tokens` (or its alias `tokens`, exactly one of the two).",
    },
    "PutReceived": obj({"success": TRUE, "size_limit": NON_NEGATIVE}),
    "ListedImage": obj(_LISTED_IMAGE),
    "OwnedImage": {
        **obj(
            {
                **_LISTED_IMAGE,
                "title": STRING,
                "description": STRING,
                "album_id": nullable(UUID),
                "is_public": BOOL,
                "original_url": {
                    **nullable(URL),
                    "description": "The kept original's download (IMGTREE_KEEP_ORIGINALS), "
                    "when the upload was converted to be published; null otherwise.",
                },
            }
        ),
        "description": "What the owner sees: the listing plus the editable fields.",
    },
    "ImagePage": obj(
        {"success": TRUE, "images": {"type": "array", "items": ref("ListedImage")}, **PAGING}
    ),
    "OwnedImagePage": obj(
        {"success": TRUE, "images": {"type": "array", "items": ref("OwnedImage")}, **PAGING}
    ),
    "Deleted": obj({"success": TRUE, "id": UUID, "slug": SLUG}),
    "Ok": obj({"success": TRUE}),
    "Revoked": obj({"success": TRUE, "revoked": NON_NEGATIVE}),
    "SessionList": obj(
        {
            "success": TRUE,
            "sessions": {
                "type": "array",
                "description": "The account's live sessions, newest first.",
                "items": obj(
                    {
                        "id": UUID,
                        "device": {
                            "type": "string",
                            "description": "A short summary of the User-Agent, e.g. "
                            "'Firefox on Linux'.",
                        },
                        "user_agent": {
                            "type": "string",
                            "maxLength": 300,
                            "description": "As sent at sign-in: control and bidi characters "
                            "removed, cut to 300 characters. Not HTML-safe: escape it.",
                        },
                        "address": {
                            "type": "string",
                            "description": "The client address at sign-in (after "
                            "trusted-proxy handling).",
                        },
                        "created_at": TIMESTAMP,
                        "last_seen_at": TIMESTAMP,
                        "expires_at": TIMESTAMP,
                        "current": {**BOOL, "description": "This request's own session."},
                    }
                ),
            },
        }
    ),
    "User": obj(_USER),
    "AdminUser": obj({**_USER, "remaining_bytes": nullable(NON_NEGATIVE)}),
    "SignedIn": obj(
        {
            "success": TRUE,
            "user": ref("User"),
            "csrf_token": {
                "type": "string",
                "minLength": 1,
                "description": "Send as X-CSRF-Token on unsafe cookie-authenticated requests.",
            },
        }
    ),
    "SignUpRequest": obj(
        {
            "email": {"type": "string", "format": "email"},
            "password": {
                "type": "string",
                "minLength": MIN_PASSWORD_LENGTH,
                "maxLength": MAX_PASSWORD_LENGTH,
            },
        },
        {"name": STRING},
    ),
    "LoginRequest": obj(
        {"email": STRING, "password": STRING},
        {
            "code": {
                "type": "string",
                "maxLength": 64,
                "description": "For an account with two-factor sign-in: a 6-digit TOTP code "
                "(one step either side of now, each step once) or a recovery code (each once; "
                "spaces, dashes and case ignored).",
            }
        },
    ),
    "TwoFactorSetup": obj(
        {
            "success": TRUE,
            "secret": {"type": "string", "description": "Base32, for typing in by hand."},
            "otpauth_uri": {"type": "string", "pattern": "^otpauth://totp/"},
            "qr_svg": {
                "type": "string",
                "description": "The otpauth URI as a QR code: a standalone SVG document "
                "(show it as an image, e.g. an img with a data: URI).",
            },
        }
    ),
    "TwoFactorCode": obj({"code": {"type": "string", "minLength": 1, "maxLength": 64}}),
    "TwoFactorDisable": obj(
        {
            "password": {"type": "string", "minLength": 1},
            "code": {"type": "string", "minLength": 1, "maxLength": 64},
        }
    ),
    "RecoveryCodes": obj(
        {
            "success": TRUE,
            "recovery_codes": {
                "type": "array",
                "minItems": 10,
                "maxItems": 10,
                "items": {"type": "string", "pattern": "^[a-z2-9]{4}(-[a-z2-9]{4}){3}$"},
                "description": "Shown this once; each signs in once instead of a TOTP code.",
            },
        }
    ),
    "PasswordRequest": obj(
        {
            "current_password": STRING,
            "new_password": {
                "type": "string",
                "minLength": MIN_PASSWORD_LENGTH,
                "maxLength": MAX_PASSWORD_LENGTH,
            },
        }
    ),
    "ImageEdit": {
        **obj(
            {},
            {
                "title": {**STRING, **NO_NUL},
                "albumId": nullable(UUID),
                "album_id": {**nullable(UUID), "description": "Alias of albumId."},
                "isPublic": BOOL,
                "is_public": {**BOOL, "description": "Alias of isPublic."},
                "visibility": VISIBILITY,
                "description": {"type": "string", "maxLength": MAX_IMAGE_DESCRIPTION, **NO_NUL},
                **EXPIRY,
                "password": CONTENT_PASSWORD,
            },
        ),
        "minProperties": 1,
        **one_spelling(
            ("albumId", "album_id"),
            ("isPublic", "is_public"),
            ("visibility", "isPublic"),
            ("visibility", "is_public"),
            EXPIRY_SPELLINGS,
        ),
        "description": "Only these fields change; sending none of them is 400.",
    },
    "ImageEdited": obj({"success": TRUE, "image": ref("OwnedImage")}),
    "AlbumOrderRequest": {
        **obj(
            {},
            {
                "image_ids": _IMAGE_ORDER,
                "imageIds": {**_IMAGE_ORDER, "description": "Alias of image_ids."},
            },
        ),
        **one_spelling(required=(("image_ids", "imageIds"),)),
        "description": "`image_ids` (or its alias `imageIds`, exactly one of the two).",
    },
    "AlbumOrder": obj(
        {"success": TRUE, "image_ids": {"type": "array", "items": UUID}},
    ),
    "BulkDelete": obj({"ids": _BULK_IDS}),
    "BulkMove": {
        **obj(
            {"ids": _BULK_IDS},
            {
                "albumId": {
                    **nullable(UUID),
                    "description": "The album to move into (yours); null takes the images "
                    "out of their albums. A missing or someone else's album is 404 and "
                    "nothing moves.",
                },
                "album_id": {**nullable(UUID), "description": "Alias of albumId."},
            },
        ),
        **one_spelling(required=(("albumId", "album_id"),)),
        "description": "`albumId` (or its alias `album_id`, exactly one of the two) and the ids.",
    },
    "BulkVisibility": obj({"ids": _BULK_IDS, "visibility": VISIBILITY}),
    "BulkResults": obj(
        {
            "results": {
                "type": "array",
                "description": "One per id, in request order.",
                "items": obj(
                    {
                        "id": UUID,
                        "status": {
                            "type": "string",
                            "enum": ["deleted", "moved", "updated", "not_found"],
                            "description": "not_found: missing, deleted or someone else's "
                            "(one answer for all).",
                        },
                    }
                ),
            },
            "succeeded": NON_NEGATIVE,
            "failed": NON_NEGATIVE,
        }
    ),
    "ClaimRequest": obj(
        {
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_CLAIM_ITEMS,
                "description": "Guest uploads to take over, each proven by its delete token "
                "(both are in the delete_url: /api/images/{image_id}?token={delete_token}). "
                "An image listed twice is checked twice, in order.",
                "items": {
                    **obj(
                        {},
                        {
                            "image_id": UUID,
                            "imageId": {**UUID, "description": "Alias of image_id."},
                            "delete_token": _CLAIM_TOKEN,
                            "deleteToken": {
                                **_CLAIM_TOKEN,
                                "description": "Alias of delete_token.",
                            },
                        },
                    ),
                    **one_spelling(
                        required=(("image_id", "imageId"), ("delete_token", "deleteToken"))
                    ),
                },
            }
        }
    ),
    "ClaimResults": obj(
        {
            "success": TRUE,
            "claimed": {**NON_NEGATIVE, "description": "How many images moved to the account."},
            "results": {
                "type": "array",
                "description": "One per item, in request order.",
                "items": obj(
                    {
                        "image_id": UUID,
                        "status": {
                            "type": "string",
                            "enum": [
                                "claimed",
                                "already_yours",
                                "not_found",
                                "over_quota",
                                "rate_limited",
                            ],
                            "description": "not_found: unknown, deleted, someone else's or "
                            "a wrong token (one answer for all; each counts against the miss "
                            "budget). over_quota: this image would pass your quota. "
                            "rate_limited: the miss budget ran out before this item.",
                        },
                        "image": {
                            "anyOf": [ref("OwnedImage"), {"type": "null"}],
                            "description": "The image, when claimed or already yours.",
                        },
                    }
                ),
            },
        }
    ),
    "Album": obj(
        _ALBUM,
        {
            "image_count": NON_NEGATIVE,
            "cover_thumb_url": {
                **nullable(URL),
                "description": "In listings: the cover's thumbnail (the first image in the "
                "album's order); null for an empty album.",
            },
        },
    ),
    "AlbumList": obj({"success": TRUE, "albums": {"type": "array", "items": ref("Album")}}),
    "AlbumEnvelope": obj({"success": TRUE, "album": ref("Album")}),
    "AlbumCreate": obj(
        {"title": _ALBUM["title"]},
        {
            "description": {"type": "string", "maxLength": MAX_DESCRIPTION, **NO_NUL},
            "isPublic": BOOL,
        },
    ),
    "AlbumEdit": {
        **obj(
            {},
            {
                "title": _ALBUM["title"],
                "description": {"type": "string", "maxLength": MAX_DESCRIPTION, **NO_NUL},
                "isPublic": BOOL,
                "is_public": {**BOOL, "description": "Alias of isPublic."},
                "coverImageId": {
                    **nullable(UUID),
                    "description": "Pick the cover: an image in this album (else 400); "
                    "null: the first image in the album's order.",
                },
                "cover_image_id": {**nullable(UUID), "description": "Alias of coverImageId."},
                "password": CONTENT_PASSWORD,
            },
        ),
        **one_spelling(("isPublic", "is_public"), ("coverImageId", "cover_image_id")),
    },
    "AlbumView": {
        **obj(
            {
                "success": TRUE,
                "images": {
                    "type": "array",
                    "items": {"anyOf": [ref("OwnedImage"), ref("ListedImage")]},
                    "description": "The owner sees every image (owned shape); others only "
                    "the public ones (listed shape).",
                },
                **PAGING,
                "album": ref("Album"),
                "is_owner": BOOL,
            }
        ),
    },
    "ApiKey": obj(_API_KEY),
    "ApiKeyList": obj({"success": TRUE, "keys": {"type": "array", "items": ref("ApiKey")}}),
    "ApiKeyCreate": obj(
        {"name": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_NAME, **NOT_BLANK}},
        {
            "scopes": {
                **nullable({"type": "array"}),
                "items": {"type": "string", "enum": SCOPE_NAMES},
                "minItems": 1,
                "uniqueItems": True,
                "description": "Absent or null: every scope the account allows (admin only"
                " for admins).",
            },
            "expires_at": {
                **nullable(TIMESTAMP),
                "description": "ISO 8601, in the future (no offset: UTC); null: never."
                " Alias: expiresAt.",
            },
            "expiresAt": {**nullable(TIMESTAMP), "description": "Alias of expires_at."},
        },
    )
    | one_spelling(("expires_at", "expiresAt")),
    "CreatedApiKey": obj(
        {
            "success": TRUE,
            **_API_KEY,
            "key": {
                "type": "string",
                "pattern": "^imgt_",
                "description": "The secret: shown this once only.",
            },
        }
    ),
    "KeyRevoked": obj({"success": TRUE, "id": UUID}),
    "ShareXConfig": obj(
        {
            "Version": STRING,
            "Name": STRING,
            "DestinationType": {"const": "ImageUploader"},
            "RequestMethod": {"const": "POST"},
            "RequestURL": URL,
            "Headers": obj({"Authorization": {"type": "string", "pattern": "^Bearer imgt_"}}),
            "Body": {"const": "MultipartFormData"},
            "FileFormName": {"const": "file"},
            "URL": STRING,
            "ThumbnailURL": STRING,
            "DeletionURL": STRING,
            "ErrorMessage": STRING,
        }
    ),
    "AdminStats": obj(
        {
            "success": TRUE,
            "users": NON_NEGATIVE,
            "active_users": NON_NEGATIVE,
            "images": NON_NEGATIVE,
            "bytes_stored": NON_NEGATIVE,
            "bytes_in_storage": {
                **NON_NEGATIVE,
                "description": "Published bytes in storage: each stored file once, however"
                " many images share it (identical uploads are stored once), soft-deleted"
                " images' until purge. `bytes_stored` is what live images charge their owners.",
            },
            "uploads": obj(
                {"last_24h": NON_NEGATIVE, "last_7d": NON_NEGATIVE, "last_30d": NON_NEGATIVE}
            ),
            "guest_uploads": NON_NEGATIVE,
            "account_uploads": NON_NEGATIVE,
            "by_type": {
                "type": "object",
                "additionalProperties": NON_NEGATIVE,
                "description": "Images per content type.",
            },
            "top_uploaders": {
                "type": "array",
                "items": obj(
                    {"id": UUID, "email": STRING, "images": NON_NEGATIVE, "bytes": NON_NEGATIVE}
                ),
            },
            "pending_presigns": NON_NEGATIVE,
            "uploads_per_day": {
                "type": "array",
                "items": obj(
                    {
                        "day": {"type": "string", "format": "date"},
                        "uploads": NON_NEGATIVE,
                        "bytes": NON_NEGATIVE,
                    }
                ),
            },
            "storage_over_time": {
                "type": "array",
                "items": obj(
                    {
                        "day": {"type": "string", "format": "date"},
                        "bytes_uploaded_cumulative": NON_NEGATIVE,
                    }
                ),
            },
        }
    ),
    "AdminUserPage": obj(
        {"success": TRUE, "users": {"type": "array", "items": ref("AdminUser")}, **PAGING}
    ),
    "AdminUserEdit": {
        **obj(
            {},
            {
                "role": {"type": "string", "enum": ["user", "admin"]},
                "active": BOOL,
                "quota_bytes": nullable(NON_NEGATIVE),
            },
        ),
        "minProperties": 1,
        "description": "Demoting or deactivating the last active admin is 409.",
    },
    "AdminUserEnvelope": obj({"success": TRUE, "user": ref("AdminUser")}),
    "AuditEntry": obj(
        {
            "id": UUID,
            "actor_id": {**nullable(UUID), "description": "null: the command line."},
            "action": STRING,
            "target_id": nullable(UUID),
            "details": {"description": "The changed fields, old and new values."},
            "created_at": TIMESTAMP,
        }
    ),
    "ModeratedImage": obj(
        {
            "id": UUID,
            "slug": SLUG,
            "title": STRING,
            "original_name": STRING,
            "url": URL,
            "direct_url": URL,
            "thumb_url": URL,
            "owner": {
                **nullable(obj({"id": UUID, "email": STRING})),
                "description": "null: a guest upload.",
            },
            "size_bytes": NON_NEGATIVE,
            "content_type": STRING,
            "created_at": TIMESTAMP,
            "visibility": {"type": "string", "enum": ["public", "unlisted", "private"]},
            "uploader_hash": {
                **nullable(STRING),
                "description": "HMAC-SHA-256 of the uploader's client address under the "
                "server's key (never the address); null for images uploaded before moderation.",
            },
            "reports": {**NON_NEGATIVE, "description": "Open reports of the image."},
            "hidden": {**BOOL, "description": "Hidden by a moderator: 404 for everyone else."},
        }
    ),
    "ModeratedImagePage": obj(
        {"success": TRUE, "images": {"type": "array", "items": ref("ModeratedImage")}, **PAGING}
    ),
    "ModerationDelete": obj(
        {},
        {
            "block": {
                **BOOL,
                "description": "Also put the content's SHA-256 digests (published bytes, kept "
                "original) on the block list: uploads of them are refused with 451.",
            },
            "reason": {"type": "string", "maxLength": 500},
        },
    ),
    "ModerationDeleted": obj(
        {
            "success": TRUE,
            "id": UUID,
            "blocked_hashes": {"type": "array", "items": {"type": "string"}},
        }
    ),
    "ModerationHidden": obj({"success": TRUE, "id": UUID, "hidden": BOOL}),
    "BlockedHash": obj(
        {
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "reason": STRING,
            "image_id": nullable(UUID),
            "created_at": TIMESTAMP,
        }
    ),
    "BlockedHashPage": obj(
        {"success": TRUE, "blocked": {"type": "array", "items": ref("BlockedHash")}, **PAGING}
    ),
    "BlockedHashRemoved": obj({"success": TRUE, "unblocked": ref("BlockedHash")}),
    "ReportEntry": obj(
        {
            "id": UUID,
            "reason": {"type": "string", "enum": [r.value for r in ReportReason]},
            "text": STRING,
            "reporter_hash": STRING,
            "created_at": TIMESTAMP,
        }
    ),
    "ReportQueue": obj(
        {
            "success": TRUE,
            "images": {
                "type": "array",
                "description": "Images with open reports, the most recently reported first.",
                "items": obj(
                    {
                        "image_id": UUID,
                        "image": nullable(
                            obj(
                                {
                                    "slug": SLUG,
                                    "url": URL,
                                    "thumb_url": URL,
                                    "owner_id": nullable(UUID),
                                    "hidden": BOOL,
                                    "deleted": BOOL,
                                }
                            )
                        ),
                        "reports": {"type": "array", "items": ref("ReportEntry")},
                    }
                ),
            },
            **PAGING,
        }
    ),
    "ReportDismissed": obj({"success": TRUE, "id": UUID, "dismissed": TRUE}),
    "ReportCreate": obj(
        {"reason": {"type": "string", "enum": [r.value for r in ReportReason]}},
        {"text": {"type": "string", "maxLength": MAX_REPORT_TEXT}},
    ),
    "ReportRecorded": obj(
        {
            "success": TRUE,
            "recorded": {
                **BOOL,
                "description": "false: this address already reported the image (counted once).",
            },
        }
    ),
    "AuditPage": obj(
        {"success": TRUE, "entries": {"type": "array", "items": ref("AuditEntry")}, **PAGING}
    ),
}
