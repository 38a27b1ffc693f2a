"""Passwords on images and albums in the domain (issue 17 item 3), on the memory adapters:
owners set, replace and clear them (only the hash is kept), visitors need every lock on an
image opened (its own and its album's), owners and active admins pass, a new password gives a
new fingerprint (so unlocks bound to the old one stop working), and readers that list images
to others (album pages, the profile) mark locked ones instead of showing them."""

from __future__ import annotations

import pytest

from imgtree.domain.commands import AlbumChanges, ImageChanges
from imgtree.domain.errors import InvalidInput, Locked, NotFound, NothingToChange, WrongPassword
from imgtree.domain.model import MAX_CONTENT_PASSWORD, Lock, LockKind, Role, Visibility
from imgtree.domain.use_cases.albums import Albums
from imgtree.domain.use_cases.edit_image import EditImage
from imgtree.domain.use_cases.profile import ViewProfile
from imgtree.domain.use_cases.unlock import Unlock
from imgtree.domain.use_cases.view_image import ViewImage
from tests.support.world import World


@pytest.fixture
def world() -> World:
    return World()


def _cases(world: World) -> tuple[EditImage, Albums, ViewImage, Unlock]:
    edit = EditImage(world.uow, clock=world.clock, passwords=world.passwords)
    albums = Albums(world.uow, world.clock, world.random, passwords=world.passwords)
    view = ViewImage(world.uow, clock=world.clock)
    return edit, albums, view, Unlock(view, world.uow, world.passwords)


def test_an_image_password_is_stored_hashed_and_asked_of_visitors_only(world: World) -> None:
    edit, _albums, view, unlock = _cases(world)
    owner = world.user()
    image = world.upload_one(owner).image
    changed = edit(owner.id, image.id, ImageChanges(password="open sesame"))
    assert changed.password_protected
    assert changed.password_hash is not None and "open sesame" not in changed.password_hash
    assert "open sesame" not in repr(changed) and changed.password_hash not in repr(changed)

    with pytest.raises(Locked) as locked:
        view(image.slug)
    (lock,) = locked.value.locks
    assert isinstance(lock, Lock) and (lock.kind, lock.id) == (LockKind.IMAGE, image.id)
    assert view(image.slug, viewer_id=owner.id).id == image.id  # the owner never unlocks
    assert view.view(image.slug, viewer_id=owner.id).protected
    admin = world.user(role=Role.ADMIN)
    assert view(image.slug, viewer_id=admin.id).id == image.id
    stranger = world.user()
    with pytest.raises(Locked):
        view(image.slug, viewer_id=stranger.id)

    with pytest.raises(WrongPassword):
        unlock.image(image.slug, "open says me")
    with pytest.raises(WrongPassword):
        unlock.image(image.slug, "")
    with pytest.raises(WrongPassword):  # the right one followed by anything is wrong
        unlock.image(image.slug, "open sesame" + "x" * MAX_CONTENT_PASSWORD)
    (opened,) = unlock.image(image.slug, "open sesame")
    assert opened == lock
    assert view(image.slug, unlocked=lambda lk: lk == opened).id == image.id
    with pytest.raises(NotFound):
        unlock.image("zzzz0000", "open sesame")


def test_a_new_password_has_a_new_fingerprint_and_clearing_opens_it(world: World) -> None:
    edit, _albums, view, unlock = _cases(world)
    owner = world.user()
    image = world.upload_one(owner).image
    edit(owner.id, image.id, ImageChanges(password="first"))
    (first,) = unlock.image(image.slug, "first")
    edit(owner.id, image.id, ImageChanges(password="first"))  # the same word, a new salt?
    edit(owner.id, image.id, ImageChanges(password="second"))
    with pytest.raises(WrongPassword):
        unlock.image(image.slug, "first")
    (second,) = unlock.image(image.slug, "second")
    assert second.fingerprint != first.fingerprint
    with pytest.raises(Locked):  # an unlock bound to the old fingerprint opens nothing
        view(image.slug, unlocked=lambda lk: lk.fingerprint == first.fingerprint)
    for cleared in (None, ""):
        edit(owner.id, image.id, ImageChanges(password="again"))
        assert not edit(owner.id, image.id, ImageChanges(password=cleared)).password_protected
        assert view(image.slug).id == image.id
        assert unlock.image(image.slug, "anything") == ()


def test_bad_passwords_change_nothing(world: World) -> None:
    edit, albums, _view, _unlock = _cases(world)
    owner = world.user()
    image = world.upload_one(owner).image
    album = world.album(owner)
    with pytest.raises(InvalidInput):
        edit(owner.id, image.id, ImageChanges(password="x" * (MAX_CONTENT_PASSWORD + 1)))
    with pytest.raises(InvalidInput):
        albums.update(owner.id, album.id, AlbumChanges(password="x" * (MAX_CONTENT_PASSWORD + 1)))
    with pytest.raises(NotFound):  # someone else's
        edit(world.user().id, image.id, ImageChanges(password="mine now"))
    assert world.image(image.id) == image
    with pytest.raises(NothingToChange, match="password"):
        edit(owner.id, image.id, ImageChanges())
    # without a hasher (an embedder's bare EditImage) setting one is refused, clearing is fine
    bare = EditImage(world.uow, clock=world.clock)
    with pytest.raises(InvalidInput):
        bare(owner.id, image.id, ImageChanges(password="pw"))
    assert not bare(owner.id, image.id, ImageChanges(password=None)).password_protected


def test_an_album_password_locks_the_album_and_every_image_in_it(world: World) -> None:
    edit, albums, view, unlock = _cases(world)
    owner = world.user()
    album = world.album(owner)
    inside = world.upload_one(owner, album_id=album.id, visibility=Visibility.PUBLIC).image
    own = world.upload_one(owner, album_id=album.id, visibility=Visibility.PUBLIC).image
    outside = world.upload_one(owner, visibility=Visibility.PUBLIC).image
    assert albums.update(owner.id, album.id, AlbumChanges(password="album pw")).password_protected
    edit(owner.id, own.id, ImageChanges(password="image pw"))

    with pytest.raises(Locked):
        albums.view(album.id, viewer_id=None)
    with pytest.raises(Locked):
        view(inside.slug)
    assert view(outside.slug).id == outside.id
    owner_view = albums.view(album.id, viewer_id=owner.id)
    assert owner_view.images.total == 2 and owner_view.locked == frozenset()

    (album_lock,) = unlock.album(album.id, "album pw")
    with pytest.raises(WrongPassword):
        unlock.album(album.id, "image pw")
    opened = albums.view(album.id, viewer_id=None, unlocked=lambda lk: lk == album_lock)
    # the album is open; the image with its own password stays locked inside it
    assert opened.images.total == 2 and opened.locked == frozenset({own.id})
    assert view(inside.slug, unlocked=lambda lk: lk == album_lock).id == inside.id
    with pytest.raises(Locked) as still:
        view(own.slug, unlocked=lambda lk: lk == album_lock)
    assert [lk.kind for lk in still.value.locks] == [LockKind.IMAGE]  # type: ignore[attr-defined]
    # the image's page takes either password, and opens what it matches
    (by_album,) = unlock.image(own.slug, "album pw")
    (by_image,) = unlock.image(own.slug, "image pw")
    assert (by_album.kind, by_image.kind) == (LockKind.ALBUM, LockKind.IMAGE)
    assert view(own.slug, unlocked=lambda lk: lk in (by_album, by_image)).id == own.id

    # a locked cover is not the album's cover for visitors
    albums.update(owner.id, album.id, AlbumChanges(cover_image_id=own.id))
    assert albums.view(album.id, viewer_id=None, unlocked=lambda lk: lk == album_lock).cover != own
    assert albums.view(album.id, viewer_id=owner.id).cover == world.image(own.id)

    albums.update(owner.id, album.id, AlbumChanges(password=None))
    assert albums.view(album.id, viewer_id=None).images.total == 2
    assert unlock.album(album.id, "whatever") == ()


def test_the_profile_marks_protected_images_without_showing_them(world: World) -> None:
    edit, albums, _view, _unlock = _cases(world)
    owner = world.user()
    album = world.album(owner)
    plain = world.upload_one(owner, visibility=Visibility.PUBLIC).image
    own = world.upload_one(owner, visibility=Visibility.PUBLIC).image
    in_album = world.upload_one(owner, album_id=album.id, visibility=Visibility.PUBLIC).image
    edit(owner.id, own.id, ImageChanges(password="pw"))
    albums.update(owner.id, album.id, AlbumChanges(password="pw"))
    profile = ViewProfile(world.uow, clock=world.clock)(owner.id)
    assert profile.locked == frozenset({own.id, in_album.id})
    assert not profile.is_locked(plain)
    assert [a.password_protected for a in profile.albums] == [True]


class _PublicBucket:
    """Storage with a public base URL (IMGTREE_S3_PUBLIC_BASE_URL): only what Urls asks."""

    def public_url(self, key: str) -> str:
        return f"https://bucket.example/{key}"


def test_protected_images_get_the_apps_media_urls_never_the_buckets(world: World) -> None:
    from imgtree.entrypoints.http.presenters import Urls

    owner = world.user()
    image = world.upload_one(owner).image
    urls = Urls("http://img.test", _PublicBucket())  # type: ignore[arg-type]
    assert urls.direct(image).startswith("https://bucket.example/")
    assert urls.thumb(image).startswith("https://bucket.example/")
    # its album's password: the caller says so
    assert urls.direct(image, protected=True) == f"http://img.test/media/{image.filename}"
    assert urls.thumb(image, protected=True).startswith("http://img.test/media/thumb/")
    assert urls.srcset(image, protected=True)[-1][0].startswith("http://img.test/media/")
    # its own password: always
    edit, *_ = _cases(world)
    locked = edit(owner.id, image.id, ImageChanges(password="pw"))
    assert urls.direct(locked) == f"http://img.test/media/{image.filename}"
    assert urls.thumb(locked).startswith("http://img.test/media/thumb/")


def test_serve_gives_its_workers_one_unlock_key_unless_one_is_configured() -> None:
    from imgtree.entrypoints.cli import with_shared_unlock_key
    from imgtree.entrypoints.http.unlock import unlock_key
    from imgtree.entrypoints.settings import Settings

    shared = with_shared_unlock_key(Settings())
    assert shared.unlock_key is not None and len(shared.unlock_key) == 64
    assert with_shared_unlock_key(Settings()).unlock_key != shared.unlock_key  # per server
    for configured in (
        {"unlock_key": "u" * 32},
        {"media_signing_key": "m" * 32},
        {"address_hash_key": "a" * 32},
    ):
        settings = Settings(**configured)  # type: ignore[arg-type]
        assert with_shared_unlock_key(settings) == settings
    # a derived key is stable (restarts keep unlocks) and differs from the key it came from
    derived = unlock_key(None, "m" * 32)
    assert derived == unlock_key(None, "m" * 32) != b"m" * 32
    assert unlock_key("u" * 32, "m" * 32) == b"u" * 32
