"""Albums (create, list, view, update, delete), EditImage and ListImages' album filter.

Memory adapters and a FixedClock; images are written straight into the store (no uploads).
"""

from __future__ import annotations

import uuid

import attrs
import pytest

from imgtree.adapters.memory import FixedClock, MemoryStore, memory_uow_factory
from imgtree.adapters.system import SystemRandom
from imgtree.domain.commands import AlbumChanges, ImageChanges
from imgtree.domain.errors import InvalidInput, NotFound, NothingToChange
from imgtree.domain.model import Album, Image, ImageFormat, User
from imgtree.domain.policies import PagePolicy
from imgtree.domain.ports import UnitOfWorkFactory
from imgtree.domain.use_cases.albums import MAX_DESCRIPTION, MAX_TITLE, Albums
from imgtree.domain.use_cases.edit_image import EditImage
from imgtree.domain.use_cases.list_images import ListImages

ANN, BOB = uuid.uuid4(), uuid.uuid4()


@attrs.define
class Env:
    store: MemoryStore = attrs.Factory(MemoryStore)
    clock: FixedClock = attrs.Factory(FixedClock)
    uow: UnitOfWorkFactory = attrs.field(init=False)
    albums: Albums = attrs.field(init=False)
    edit: EditImage = attrs.field(init=False)
    list_images: ListImages = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.uow = memory_uow_factory(self.store)
        self.albums = Albums(self.uow, self.clock, SystemRandom(), PagePolicy(max_limit=50))
        self.edit = EditImage(self.uow, clock=self.clock)
        self.list_images = ListImages(self.uow, clock=self.clock)
        with self.uow() as uow:  # image rows need their owner to exist
            for user_id in (ANN, BOB):
                email = f"{user_id.hex[:10]}@example.com"
                uow.users.add(User(id=user_id, email=email, created_at=self.clock.now()))
            uow.commit()

    def album(self, owner: uuid.UUID = ANN, **kw: object) -> Album:
        album = self.albums.create(owner, kw.pop("title", "Holidays"), **kw)
        self.clock.advance(1)  # distinct creation times: newest-first order is unambiguous
        return album

    def image(self, owner: uuid.UUID | None = ANN, **kw: object) -> Image:
        image_id = uuid.uuid4()
        fields: dict[str, object] = {
            "id": image_id,
            "slug": image_id.hex[:10],
            "owner_id": owner,
            "original_name": "x.png",
            "content_type": ImageFormat.PNG,
            "size_bytes": 1,
            "width": 1,
            "height": 1,
            "storage_key": f"images/{image_id}.png",
            "thumb_key": f"thumbs/{image_id}.jpg",
            "thumb_content_type": ImageFormat.JPEG,
            "delete_token_hash": "sha256$x",
            "created_at": self.clock.now(),
        }
        image = Image(**(fields | kw))  # type: ignore[arg-type]
        with self.uow() as uow:
            uow.images.add(image)
            uow.commit()
        self.clock.advance(1)
        return image

    def stored_image(self, image_id: uuid.UUID) -> Image:
        return self.store.tables.images[image_id]

    def stored_album(self, album_id: uuid.UUID) -> Album | None:
        return self.store.tables.albums.get(album_id)


@pytest.fixture
def env() -> Env:
    return Env()


def newest_first(images: list[Image]) -> tuple[Image, ...]:
    return tuple(sorted(images, key=lambda i: (i.created_at, i.id), reverse=True))


# --- create --------------------------------------------------------------------------------------


def test_create_album(env: Env) -> None:
    now = env.clock.now()
    album = env.albums.create(ANN, "  Summer  ", "  by the sea ", False)
    assert (album.owner_id, album.title, album.description, album.is_public) == (
        ANN,
        "Summer",
        "by the sea",
        False,
    )
    assert album.created_at == now
    assert env.stored_album(album.id) == album


def test_create_album_defaults(env: Env) -> None:
    album = env.albums.create(ANN, "Plain")
    assert (album.description, album.is_public) == ("", True)
    assert env.albums.create(ANN, "x" * MAX_TITLE, "").description == ""
    assert (
        env.albums.create(ANN, "Long", "d" * MAX_DESCRIPTION).description == "d" * MAX_DESCRIPTION
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"title": ""},
        {"title": "   "},
        {"title": "x" * (MAX_TITLE + 1)},
        {"title": "ok", "description": "d" * (MAX_DESCRIPTION + 1)},
    ],
)
def test_create_album_rejects_bad_input(env: Env, kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        env.albums.create(ANN, **kwargs)
    assert env.store.tables.albums == {}


# --- list ----------------------------------------------------------------------------------------


def test_list_albums_newest_first_with_live_image_counts(env: Env) -> None:
    older, newer, empty = env.album(title="Older"), env.album(title="Newer"), env.album()
    env.album(BOB, title="Bob's")
    for _ in range(3):
        env.image(album_id=older.id)
    env.image(album_id=older.id, deleted_at=env.clock.now())  # deleted: not counted
    env.image(album_id=newer.id, is_public=False)  # private images count for the owner
    env.image()  # in no album

    summaries = env.albums.list(ANN)

    assert [s.album for s in summaries] == [empty, newer, older]
    assert [s.image_count for s in summaries] == [0, 1, 3]
    assert [s.album.title for s in env.albums.list(BOB)] == ["Bob's"]
    assert env.albums.list(uuid.uuid4()) == []


# --- view ----------------------------------------------------------------------------------------


def test_the_owner_sees_a_private_album_with_every_live_image(env: Env) -> None:
    album = env.album(is_public=False)
    images = [env.image(album_id=album.id, is_public=i % 2 == 0) for i in range(3)]
    env.image(album_id=album.id, deleted_at=env.clock.now())
    env.image()  # not in the album

    view = env.albums.view(album.id, viewer_id=ANN)

    assert view.is_owner
    assert view.album == album
    assert view.images.items == newest_first(images)
    assert view.images.total == 3


@pytest.mark.parametrize("viewer", [BOB, None])
def test_a_private_album_is_not_found_for_others(env: Env, viewer: uuid.UUID | None) -> None:
    album = env.album(is_public=False)
    env.image(album_id=album.id)
    with pytest.raises(NotFound):
        env.albums.view(album.id, viewer_id=viewer)


def test_an_unknown_album_is_not_found(env: Env) -> None:
    with pytest.raises(NotFound):
        env.albums.view(uuid.uuid4(), viewer_id=ANN)


@pytest.mark.parametrize("viewer", [BOB, None])
def test_others_see_only_the_public_images_of_a_public_album(
    env: Env, viewer: uuid.UUID | None
) -> None:
    album = env.album()
    public = [env.image(album_id=album.id) for _ in range(5)]
    private = [env.image(album_id=album.id, is_public=False) for _ in range(2)]

    view = env.albums.view(album.id, viewer_id=viewer)

    assert not view.is_owner
    assert view.images.items == newest_first(public)
    assert view.images.total == 5
    assert not set(view.images.items) & set(private)
    owner_view = env.albums.view(album.id, viewer_id=ANN)
    assert owner_view.images.total == 7


@pytest.mark.parametrize("viewer", [ANN, BOB])
def test_album_view_pages(env: Env, viewer: uuid.UUID) -> None:
    album = env.album()
    images = [env.image(album_id=album.id) for _ in range(5)]
    if viewer != ANN:  # private images are skipped before paging for others
        for _ in range(3):
            env.image(album_id=album.id, is_public=False)
    expected = newest_first(images)

    pages = [env.albums.view(album.id, viewer_id=viewer, page=p, limit=2) for p in (1, 2, 3, 4)]

    assert [p.images.items for p in pages] == [expected[0:2], expected[2:4], expected[4:], ()]
    assert {p.images.total for p in pages} == {5}
    assert [p.images.has_more for p in pages] == [True, True, False, False]
    assert env.albums.view(album.id, viewer_id=viewer, limit=1000).images.limit == 50  # capped


@pytest.mark.parametrize(("page", "limit"), [(0, 10), (-1, 10), (1, 0), (1, -5)])
def test_album_view_rejects_bad_paging(env: Env, page: int, limit: int) -> None:
    album = env.album()
    with pytest.raises(InvalidInput):
        env.albums.view(album.id, viewer_id=ANN, page=page, limit=limit)


# --- update --------------------------------------------------------------------------------------


def test_update_album_changes_only_the_given_fields(env: Env) -> None:
    album = env.album(title="Old", description="desc", is_public=True)

    renamed = env.albums.update(ANN, album.id, AlbumChanges(title="  New  "))
    assert renamed == attrs.evolve(album, title="New")
    assert env.stored_album(album.id) == renamed

    hidden = env.albums.update(ANN, album.id, AlbumChanges(is_public=False))
    assert hidden == attrs.evolve(album, title="New", is_public=False)

    cleared = env.albums.update(ANN, album.id, AlbumChanges(description=""))
    assert cleared == attrs.evolve(album, title="New", is_public=False, description="")

    everything = env.albums.update(
        ANN, album.id, AlbumChanges(title="T", description="D", is_public=True)
    )
    assert everything == attrs.evolve(album, title="T", description="D", is_public=True)
    assert env.stored_album(album.id) == everything
    assert everything.created_at == album.created_at


def test_update_album_with_nothing_to_change_keeps_it(env: Env) -> None:
    album = env.album()
    assert env.albums.update(ANN, album.id, AlbumChanges()) == album
    assert env.stored_album(album.id) == album


@pytest.mark.parametrize(
    "changes",
    [
        {"title": ""},
        {"title": "   "},
        {"title": "x" * (MAX_TITLE + 1)},
        {"description": "d" * (MAX_DESCRIPTION + 1)},
        {"title": "fine", "description": "d" * (MAX_DESCRIPTION + 1)},
    ],
)
def test_update_album_rejects_bad_input(env: Env, changes: dict[str, object]) -> None:
    album = env.album()
    with pytest.raises(InvalidInput):
        env.albums.update(ANN, album.id, AlbumChanges(**changes))
    assert env.stored_album(album.id) == album  # nothing half-applied


def test_update_someone_elses_or_a_missing_album_is_not_found(env: Env) -> None:
    album = env.album()
    with pytest.raises(NotFound):
        env.albums.update(BOB, album.id, AlbumChanges(title="Mine now"))
    with pytest.raises(NotFound):
        env.albums.update(ANN, uuid.uuid4(), AlbumChanges(title="Ghost"))
    assert env.stored_album(album.id) == album


# --- delete --------------------------------------------------------------------------------------


def test_delete_album_keeps_its_images(env: Env) -> None:
    album, other = env.album(), env.album()
    inside = [env.image(album_id=album.id), env.image(album_id=album.id, is_public=False)]
    elsewhere = env.image(album_id=other.id)

    env.albums.delete(ANN, album.id)

    assert env.stored_album(album.id) is None
    for image in inside:
        assert env.stored_image(image.id) == attrs.evolve(image, album_id=None)
    assert env.stored_image(elsewhere.id) == elsewhere
    assert [s.album for s in env.albums.list(ANN)] == [other]
    assert env.list_images(ANN).total == 3
    with pytest.raises(NotFound):
        env.albums.view(album.id, viewer_id=ANN)
    with pytest.raises(NotFound):
        env.albums.delete(ANN, album.id)  # already gone


def test_delete_someone_elses_album_is_not_found(env: Env) -> None:
    album = env.album()
    image = env.image(album_id=album.id)
    with pytest.raises(NotFound):
        env.albums.delete(BOB, album.id)
    assert env.stored_album(album.id) == album
    assert env.stored_image(image.id) == image


# --- EditImage -----------------------------------------------------------------------------------


def test_edit_image_title(env: Env) -> None:
    image = env.image(title="Old")
    edited = env.edit(ANN, image.id, ImageChanges(title="  A cat  "))
    assert edited == attrs.evolve(image, title="A cat")
    assert env.stored_image(image.id) == edited
    assert env.edit(ANN, image.id, ImageChanges(title="")).title == ""  # a title may be cleared
    assert env.edit(ANN, image.id, ImageChanges(title="x" * MAX_TITLE)).title == "x" * MAX_TITLE


def test_edit_image_visibility(env: Env) -> None:
    image = env.image()
    assert env.edit(ANN, image.id, ImageChanges(is_public=False)) == attrs.evolve(
        image, is_public=False
    )
    assert env.stored_image(image.id).is_public is False
    assert env.edit(ANN, image.id, ImageChanges(is_public=True)) == image


def test_edit_image_moves_it_between_own_albums_and_out(env: Env) -> None:
    first, second = env.album(), env.album()
    image = env.image()

    assert env.edit(ANN, image.id, ImageChanges(album_id=first.id)).album_id == first.id
    assert env.albums.view(first.id, viewer_id=ANN).images.items == (
        attrs.evolve(image, album_id=first.id),
    )
    assert env.edit(ANN, image.id, ImageChanges(album_id=second.id)).album_id == second.id
    assert env.albums.view(first.id, viewer_id=ANN).images.total == 0
    removed = env.edit(ANN, image.id, ImageChanges(album_id=None))
    assert removed == image
    assert env.stored_image(image.id).album_id is None
    assert env.albums.view(second.id, viewer_id=ANN).images.total == 0


def test_edit_several_fields_at_once(env: Env) -> None:
    album = env.album()
    image = env.image()
    edited = env.edit(ANN, image.id, ImageChanges(title="T", album_id=album.id, is_public=False))
    assert edited == attrs.evolve(image, title="T", album_id=album.id, is_public=False)
    assert env.stored_image(image.id) == edited


def test_edit_image_into_someone_elses_or_a_missing_album_is_not_found(env: Env) -> None:
    bobs = env.album(BOB)
    image = env.image()
    for album_id in (bobs.id, uuid.uuid4()):
        with pytest.raises(NotFound):
            env.edit(ANN, image.id, ImageChanges(album_id=album_id, title="changed"))
    assert env.stored_image(image.id) == image


def test_only_the_owner_edits_an_image(env: Env) -> None:
    mine = env.image()
    guest = env.image(None)
    deleted = env.image(deleted_at=env.clock.now())
    with pytest.raises(NotFound):
        env.edit(BOB, mine.id, ImageChanges(title="hacked"))
    with pytest.raises(NotFound):
        env.edit(ANN, guest.id, ImageChanges(title="guest"))
    with pytest.raises(NotFound):
        env.edit(ANN, deleted.id, ImageChanges(title="undead"))
    with pytest.raises(NotFound):
        env.edit(ANN, uuid.uuid4(), ImageChanges(title="ghost"))
    assert env.stored_image(mine.id) == mine
    assert env.stored_image(guest.id) == guest
    assert env.stored_image(deleted.id) == deleted


def test_edit_image_with_nothing_to_change(env: Env) -> None:
    image = env.image()
    with pytest.raises(NothingToChange):
        env.edit(ANN, image.id, ImageChanges())


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "x" * (MAX_TITLE + 1)},
        {"title": "   " + "x" * (MAX_TITLE + 1)},
        {"title": "x" * (MAX_TITLE + 1), "is_public": False},
    ],
)
def test_edit_image_rejects_bad_types(env: Env, changes: dict[str, object]) -> None:
    image = env.image()
    with pytest.raises(InvalidInput):
        env.edit(ANN, image.id, ImageChanges(**changes))
    assert env.stored_image(image.id) == image


# --- ListImages with an album filter ---------------------------------------------------------------


def test_list_images_of_one_album(env: Env) -> None:
    album, other = env.album(), env.album()
    inside = [env.image(album_id=album.id) for _ in range(3)]
    inside.append(env.image(album_id=album.id, is_public=False))
    env.image(album_id=album.id, deleted_at=env.clock.now())
    outside = [env.image(album_id=other.id), env.image()]

    page = env.list_images(ANN, album_id=album.id)
    assert page.items == newest_first(inside)
    assert page.total == 4

    first, second = (env.list_images(ANN, album_id=album.id, page=p, limit=3) for p in (1, 2))
    assert first.items + second.items == newest_first(inside)
    assert (first.has_more, second.has_more) == (True, False)

    everything = env.list_images(ANN)
    assert everything.items == newest_first(inside + outside)
    assert env.list_images(ANN, album_id=uuid.uuid4()).total == 0
    assert env.list_images(BOB, album_id=album.id).items == ()


def test_album_titles_and_descriptions_refuse_nul() -> None:
    # No text column holds a NUL (Postgres refuses it): the domain says so for embedders too.
    from imgtree.domain.errors import InvalidInput
    from imgtree.domain.use_cases.albums import clean_description, clean_title

    with pytest.raises(InvalidInput, match="NUL"):
        clean_title("a\x00b")
    with pytest.raises(InvalidInput, match="NUL"):
        clean_description("a\x00b")
