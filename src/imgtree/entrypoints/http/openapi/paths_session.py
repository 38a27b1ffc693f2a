"""The session surface: the web app's cookie API (`/api/auth/*`, `/api/images*`, `/api/albums*`,
`/api/keys*`, `/api/upload*`); unsafe methods need `X-CSRF-Token`."""

from __future__ import annotations

from typing import Any

from imgtree.domain.use_cases.albums import MAX_ARRANGE
from imgtree.entrypoints.http.openapi.builders import (
    HTML,
    STRING,
    UUID,
    json_body,
    obj,
    path_param,
    query,
    ref,
)
from imgtree.entrypoints.http.openapi.components import (
    ERROR_MEANING,
    PAGE_PARAMS,
    QUERY_PARAMS,
    error_response,
)
from imgtree.entrypoints.http.openapi.operations import (
    NONE,
    SESSION,
    SESSION_READ,
    SESSION_WRITE,
    errors,
    ok,
    op,
    upload_results,
)
from imgtree.entrypoints.http.openapi.paths_public import original_download, too_many_html


def auth_paths() -> dict[str, Any]:
    """Sign-up, sign-in, sign-out, who am I, password change."""
    session_cookie = {"Set-Cookie": {"$ref": "#/components/headers/Set-Cookie"}}
    return {
        "/api/auth/signup": {
            "post": op(
                SESSION,
                "signUp",
                "Create an account and sign in",
                {
                    "201": ok("SignedIn", "Signed up and in.", headers=session_cookie),
                    **errors(400, 403, 409, 429),
                },
                security=NONE,
                body=json_body(ref("SignUpRequest")),
                description="403 when sign-up is closed on this instance; throttled per client "
                "IP like sign-in (429).",
            )
        },
        "/api/auth/login": {
            "post": op(
                SESSION,
                "logIn",
                "Sign in",
                {
                    "200": ok("SignedIn", "Signed in.", headers=session_cookie),
                    **errors(400, 403, 429),
                    "401": error_response(401, "LoginError"),
                },
                security=NONE,
                body=json_body(ref("LoginRequest")),
                description="Throttled per client IP and per account (429); a wrong "
                "two-factor code counts as a failed sign-in. An account with two-factor "
                "sign-in and no `code` gets 401 with `two_factor_required: true`.",
            )
        },
        "/api/auth/logout": {
            "post": op(
                SESSION,
                "logOut",
                "Sign out (revokes the session server-side)",
                {"200": ok("Ok", headers=session_cookie), **errors(401, 403)},
                security=SESSION_WRITE,
            )
        },
        "/api/auth/me": {
            "get": op(
                SESSION,
                "getMe",
                "Who is signed in, and the CSRF token",
                {"200": ok("SignedIn"), **errors(401, 403)},
                security=SESSION_READ,
            )
        },
        "/api/auth/sessions": {
            "get": op(
                SESSION,
                "listSessions",
                "The signed-in account's live sessions (this one marked current)",
                {"200": ok("SessionList"), **errors(401, 403)},
                security=SESSION_READ,
            )
        },
        "/api/auth/sessions/revoke-others": {
            "post": op(
                SESSION,
                "revokeOtherSessions",
                "Sign out everywhere else: end every session of the account but this one",
                {"200": ok("Revoked", "How many sessions ended."), **errors(401, 403)},
                security=SESSION_WRITE,
            )
        },
        "/api/auth/sessions/{sessionId}": {
            "delete": op(
                SESSION,
                "revokeSession",
                "Sign out one session of the account (this one too: the cookie is cleared)",
                {"200": ok("Ok"), **errors(400, 401, 403, 404)},
                security=SESSION_WRITE,
                parameters=[
                    path_param(
                        "sessionId",
                        UUID,
                        "One of the account's live sessions (another account's: 404).",
                    )
                ],
            )
        },
        "/api/auth/2fa/setup": {
            "post": op(
                SESSION,
                "twoFactorSetup",
                "Start two-factor enrolment: a new pending TOTP secret, its URI and QR code",
                {"200": ok("TwoFactorSetup"), **errors(401, 403, 409)},
                security=SESSION_WRITE,
                description="409 when two-factor sign-in is already on.",
            )
        },
        "/api/auth/2fa/enable": {
            "post": op(
                SESSION,
                "twoFactorEnable",
                "Turn two-factor sign-in on with a code of the pending secret",
                {"200": ok("RecoveryCodes"), **errors(400, 401, 403, 409, 429)},
                security=SESSION_WRITE,
                body=json_body(ref("TwoFactorCode")),
                description="403 for a wrong code (counted as a failed sign-in); 409 without "
                "a pending setup. Answers the 10 recovery codes, this once.",
            )
        },
        "/api/auth/2fa/disable": {
            "post": op(
                SESSION,
                "twoFactorDisable",
                "Turn two-factor sign-in off (password and a TOTP or recovery code)",
                {"200": ok("Ok"), **errors(400, 401, 403, 409, 429)},
                security=SESSION_WRITE,
                body=json_body(ref("TwoFactorDisable")),
            )
        },
        "/api/auth/2fa/recovery-codes": {
            "post": op(
                SESSION,
                "twoFactorRecoveryCodes",
                "Replace every recovery code (with a TOTP or recovery code)",
                {"200": ok("RecoveryCodes"), **errors(400, 401, 403, 409, 429)},
                security=SESSION_WRITE,
                body=json_body(ref("TwoFactorCode")),
            )
        },
        "/api/auth/password": {
            "post": op(
                SESSION,
                "changePassword",
                "Change password (revokes every other session)",
                {"200": ok("Ok"), **errors(400, 401, 403)},
                security=SESSION_WRITE,
                body=json_body(ref("PasswordRequest")),
            )
        },
    }


def image_paths() -> dict[str, Any]:
    """The signed-in user's images, and the delete_url target."""
    return {
        "/api/images": {
            "get": op(
                SESSION,
                "sessionListImages",
                "The signed-in user's images, newest first",
                {"200": ok("OwnedImagePage"), **errors(400, 401, 403, 404)},
                security=SESSION_READ,
                parameters=[
                    *PAGE_PARAMS,
                    *QUERY_PARAMS,
                    query("albumId", UUID, "Only this album's images."),
                ],
            )
        },
        "/api/images/claim": {
            "post": op(
                SESSION,
                "claimGuestImages",
                "Take over guest uploads made in this browser, proven by their delete tokens",
                {"200": ok("ClaimResults"), **errors(400, 401, 403, 413, 415, 429)},
                security=SESSION_WRITE,
                body=json_body(ref("ClaimRequest")),
            )
        },
        **{
            f"/api/images/bulk/{action}": {
                "post": op(
                    SESSION,
                    operation_id,
                    summary,
                    {"200": ok("BulkResults"), **errors(400, 401, 403, 404, 415)},
                    security=SESSION_WRITE,
                    body=json_body(ref(schema)),
                )
            }
            for action, operation_id, summary, schema in (
                ("delete", "bulkDeleteImages", "Soft-delete up to 100 images", "BulkDelete"),
                ("move", "bulkMoveImages", "Move up to 100 images into an album", "BulkMove"),
                (
                    "visibility",
                    "bulkSetVisibility",
                    "Set the visibility of up to 100 images",
                    "BulkVisibility",
                ),
            )
        },
        "/api/images/{imageId}/original": {
            "get": original_download("sessionDownloadOriginal", SESSION, SESSION_READ),
        },
        "/api/images/{imageId}": {
            "parameters": [{"$ref": "#/components/parameters/imageId"}],
            "get": op(
                SESSION,
                "getDeleteConfirmPage",
                "A delete_url opened in a browser: a confirmation page (never deletes)",
                {
                    "200": ok(None, "The confirmation page.", content=HTML),
                    **{
                        str(s): ok(None, ERROR_MEANING[s], content=HTML)
                        for s in (400, 401, 403, 404)
                    },
                    "429": too_many_html(),
                    **errors(),
                },
                security=NONE,
                parameters=[query("token", {"type": "string"}, "The delete token.")],
            ),
            "patch": op(
                SESSION,
                "editImage",
                "Change title, album or visibility (owner only)",
                {"200": ok("ImageEdited"), **errors(400, 401, 403, 404)},
                security=SESSION_WRITE,
                body=json_body(ref("ImageEdit")),
            ),
            "delete": op(
                SESSION,
                "deleteImageByToken",
                "Soft-delete: the owner's session, or ?token= from a delete_url",
                {
                    "200": ok("Deleted", rate=True),
                    **errors(400, 401, 403, 404, 429),
                },
                security=[*SESSION_WRITE, {}],
                parameters=[
                    query(
                        "token",
                        {"type": "string"},
                        "The delete token (then no session is needed; rate limited).",
                    )
                ],
            ),
        },
    }


def album_paths() -> dict[str, Any]:
    """Albums: list, create, view, edit, delete."""
    return {
        "/api/albums": {
            "get": op(
                SESSION,
                "listAlbums",
                "The signed-in user's albums",
                {"200": ok("AlbumList"), **errors(401, 403)},
                security=SESSION_READ,
            ),
            "post": op(
                SESSION,
                "createAlbum",
                "Create an album",
                {"201": ok("AlbumEnvelope", "Created."), **errors(400, 401, 403, 415)},
                security=SESSION_WRITE,
                body=json_body(ref("AlbumCreate")),
            ),
        },
        "/api/albums/{albumId}": {
            "parameters": [{"$ref": "#/components/parameters/albumId"}],
            "get": op(
                SESSION,
                "getAlbum",
                "An album and its images (the owner's, or anyone's public album)",
                {"200": ok("AlbumView"), **errors(400, 404)},
                security=[{}, *SESSION_READ],
                parameters=PAGE_PARAMS,
            ),
            "patch": op(
                SESSION,
                "editAlbum",
                "Update an album",
                {"200": ok("AlbumEnvelope"), **errors(400, 401, 403, 404, 415)},
                security=SESSION_WRITE,
                body=json_body(ref("AlbumEdit")),
            ),
            "delete": op(
                SESSION,
                "deleteAlbum",
                "Delete an album (its images stay, out of the album)",
                {"200": ok("Ok"), **errors(400, 401, 403, 404)},
                security=SESSION_WRITE,
            ),
        },
        "/api/albums/{albumId}/order": {
            "parameters": [{"$ref": "#/components/parameters/albumId"}],
            "put": op(
                SESSION,
                "arrangeAlbum",
                "Arrange an album: every image in it, each once, first to last",
                {"200": ok("AlbumOrder"), **errors(400, 401, 403, 404, 409, 415)},
                security=SESSION_WRITE,
                body=json_body(ref("AlbumOrderRequest")),
                description="New images added later follow the arranged ones, newest first. "
                f"Albums of up to {MAX_ARRANGE} images can be arranged.",
            ),
        },
    }


def key_paths() -> dict[str, Any]:
    """API keys and the ShareX uploader config."""
    return {
        "/api/keys": {
            "get": op(
                SESSION,
                "listKeys",
                "API keys (metadata only)",
                {"200": ok("ApiKeyList"), **errors(401, 403)},
                security=SESSION_READ,
            ),
            "post": op(
                SESSION,
                "createKey",
                "Create an API key (the secret is returned once)",
                {"201": ok("CreatedApiKey", "Created."), **errors(400, 401, 403, 415)},
                security=SESSION_WRITE,
                body=json_body(ref("ApiKeyCreate")),
            ),
        },
        "/api/keys/sharex": {
            "post": op(
                SESSION,
                "createSharexConfig",
                "A new key inside a ready-made ShareX uploader (.sxcu download)",
                {
                    "200": ok(
                        "ShareXConfig",
                        "The .sxcu file (Content-Disposition: attachment).",
                        headers={
                            "Content-Disposition": {
                                "description": 'attachment; filename="imgtree.sxcu"',
                                "required": True,
                                "schema": {"type": "string"},
                            }
                        },
                    ),
                    **errors(400, 401, 403, 415),
                },
                security=SESSION_WRITE,
                body=json_body(obj({}, {"name": STRING})),
                body_required=False,
            )
        },
        "/api/keys/{keyId}": {
            "delete": op(
                SESSION,
                "revokeKey",
                "Revoke an API key",
                {"200": ok("KeyRevoked"), **errors(400, 401, 403, 404)},
                security=SESSION_WRITE,
                parameters=[path_param("keyId", UUID, "The key's id (not a UUID: 400).")],
            )
        },
    }


def upload_paths() -> dict[str, Any]:
    """Signed-in uploads: multipart, presign, complete."""
    return {
        "/api/upload": {
            "post": op(
                SESSION,
                "sessionUploadImages",
                "Signed-in multipart upload (`files`, optional albumId, isPublic)",
                upload_results(auth=True, multipart=True),
                security=SESSION_WRITE,
                body={"multipart/form-data": {"schema": ref("SessionUploadMultipart")}},
            )
        },
        "/api/upload/presign": {
            "post": op(
                SESSION,
                "sessionPresignUpload",
                "Presign for the signed-in user",
                {
                    "200": ok("Presign", rate=True),
                    **errors(400, 401, 403, 404, 413, 415, 429, rate=True),
                },
                security=SESSION_WRITE,
                body=json_body(ref("PresignRequest")),
            )
        },
        "/api/upload/complete": {
            "post": op(
                SESSION,
                "sessionCompleteUpload",
                "Complete after PUT (session)",
                upload_results(auth=True),
                security=SESSION_WRITE,
                body=json_body(ref("CompleteRequest")),
            )
        },
    }


def session_paths() -> dict[str, Any]:
    """Every session route, in document order."""
    return {**auth_paths(), **image_paths(), **album_paths(), **key_paths(), **upload_paths()}
