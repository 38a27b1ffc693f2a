"""The HTTP layer's request mappers: JSON values → the domain's typed inputs.

The wire-typed cases here moved from the domain's unit tests when the use cases started to
take typed values: a JSON value of the wrong type is refused (or passed on as "not given")
here, in the wire's own words, and the domain tests cover what the typed values may be.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from imgtree.domain.commands import UNSET, AlbumChanges, ImageChanges, PresignRequest, UserChanges
from imgtree.domain.errors import InvalidInput
from imgtree.domain.model import Role
from imgtree.domain.use_cases.albums import MAX_DESCRIPTION, MAX_TITLE
from imgtree.entrypoints.http.commands import (
    album_changes,
    completion_tokens,
    image_changes,
    new_album,
    presign_request,
    user_changes,
)
from tests.support.app import App


def refused(mapper: Any, doc: Any, message: str | None = None) -> None:
    with pytest.raises(InvalidInput) as caught:
        mapper(doc)
    if message is not None:
        assert caught.value.message == message


# --- admin: PATCH /api/admin/users/{id} ---------------------------------------------------------


@pytest.mark.parametrize(
    "doc",
    [
        {"role": "root"},
        {"role": "ADMIN"},
        {"role": None},
        {"role": 1},
        {"role": ["admin"]},
        {"active": "false"},
        {"active": 0},
        {"active": None},
        {"quota_bytes": -1},
        {"quota_bytes": True},
        {"quota_bytes": False},
        {"quota_bytes": 1.5},
        {"quota_bytes": "100"},
    ],
)
def test_user_changes_refuses_wire_values_of_the_wrong_kind(doc: dict[str, Any]) -> None:
    refused(user_changes, doc)


def test_user_changes_reads_the_fields_given() -> None:
    assert user_changes({}) == UserChanges()
    assert user_changes({"role": "admin", "active": False, "quota_bytes": None}) == UserChanges(
        role=Role.ADMIN, active=False, quota_bytes=None
    )
    assert user_changes({"quota_bytes": 0}) == UserChanges(quota_bytes=0)


# --- albums and images ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"title": None}, "title is required"),
        ({"title": 42}, "title is required"),
        ({"title": ["Holidays"]}, "title is required"),
        ({"title": "  "}, "title is required"),
        (
            {"title": "ok", "description": 7},
            f"description must be text of at most {MAX_DESCRIPTION} characters",
        ),
        ({"title": "ok", "is_public": "true"}, "isPublic must be true or false"),
        ({"title": "ok", "isPublic": 1}, "isPublic must be true or false"),
        ({"title": "ok", "is_public": None}, "isPublic must be true or false"),
    ],
)
def test_new_album_refuses_wire_values_of_the_wrong_kind(doc: dict[str, Any], message: str) -> None:
    refused(new_album, doc, message)


def test_new_album_defaults() -> None:
    assert new_album({"title": "T"}) == ("T", "", True)
    assert new_album({"title": "T", "description": None, "isPublic": False}) == ("T", "", False)


@pytest.mark.parametrize(
    "doc", [{"title": None}, {"description": 3}, {"is_public": "no"}, {"title": "x", "isPublic": 0}]
)
def test_album_changes_refuses_wire_values_of_the_wrong_kind(doc: dict[str, Any]) -> None:
    refused(album_changes, doc)


def test_album_changes_reads_only_the_fields_given() -> None:
    assert album_changes({}) == AlbumChanges()
    assert album_changes({"description": None}) == AlbumChanges(description="")
    assert album_changes({"is_public": False, "title": "T"}) == AlbumChanges(
        title="T", is_public=False
    )


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"title": None}, f"title must be text of at most {MAX_TITLE} characters"),
        ({"title": 5}, f"title must be text of at most {MAX_TITLE} characters"),
        ({"albumId": "not-a-uuid"}, "albumId must be a UUID"),
        ({"album_id": 12}, "albumId must be a UUID"),
        ({"isPublic": "false"}, "isPublic must be true or false"),
        ({"is_public": None}, "isPublic must be true or false"),
        ({"title": "good", "is_public": 0}, "isPublic must be true or false"),
    ],
)
def test_image_changes_refuses_wire_values_of_the_wrong_kind(
    doc: dict[str, Any], message: str
) -> None:
    refused(image_changes, doc, message)


def test_image_changes_parses_the_album_id() -> None:
    album_id = uuid.uuid4()
    assert image_changes({"albumId": str(album_id)}) == ImageChanges(album_id=album_id)
    assert image_changes({"album_id": None}).album_id is None
    assert image_changes({"albumId": ""}).album_id is None
    assert image_changes({}).album_id is UNSET


# --- presign and complete ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"filename": 42, "contentType": "image/png", "sizeBytes": 1}, ("filename", None)),
        ({"filename": b"cat.png".hex(), "contentType": 5, "sizeBytes": 1}, ("content_type", None)),
        (
            {"filename": "a.png", "contentType": "image/png", "sizeBytes": True},
            ("size_bytes", None),
        ),
        (
            {"filename": "a.png", "contentType": "image/png", "sizeBytes": False},
            ("size_bytes", None),
        ),
        (
            {"filename": "a.png", "contentType": "image/png", "sizeBytes": "100"},
            ("size_bytes", None),
        ),
        ({"filename": "a.png", "contentType": "image/png", "sizeBytes": 1.5}, ("size_bytes", None)),
        (
            {"filename": "a.png", "contentType": "image/png", "size_bytes": [100]},
            ("size_bytes", None),
        ),
        ({"filename": "a.png", "content_type": "image/png", "size_bytes": 9}, ("size_bytes", 9)),
    ],
)
def test_presign_request_passes_wrong_kinds_on_as_not_given(
    item: dict[str, Any], expected: tuple[str, object]
) -> None:
    """None is what the domain refuses per file (tests/unit/test_presign.py)."""
    name, value = expected
    assert getattr(presign_request(item), name) == value


def test_presign_request_of_something_not_an_object() -> None:
    for item in (None, "a.png", 5, ["a.png"]):
        assert presign_request(item) == PresignRequest(None, None, None)


def test_completion_tokens_of_the_wrong_kind_complete_nothing() -> None:
    assert completion_tokens({"completion_tokens": ["t", None, 5, [], {}]}) == ["t", "", "", "", ""]
    assert completion_tokens({"tokens": ["a"]}) == ["a"]
    refused(
        completion_tokens, {"completion_tokens": "t"}, "completion_tokens must be a list of tokens"
    )


# --- sessions, over HTTP ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "doc",
    [
        {"email": None, "password": "correct horse"},
        {"email": "a@example.com", "password": None},
        {"email": 1, "password": 2},
    ],
)
def test_sign_in_and_up_need_text(app: App, doc: dict[str, Any]) -> None:
    for route in ("/api/auth/login", "/api/auth/signup"):
        r = app.client.simulate_post(route, json=doc)
        assert r.status_code == 400, (route, r.text)
        assert r.json == {"success": False, "error": "email and password are required"}


def test_sign_up_ignores_a_name_that_is_not_text(app: App) -> None:
    r = app.client.simulate_post(
        "/api/auth/signup",
        json={"email": "n@example.com", "password": "correct horse", "name": ["x"]},
    )
    assert r.status_code == 201, r.text
    assert r.json["user"]["name"] == ""
