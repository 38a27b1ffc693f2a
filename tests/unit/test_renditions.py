"""Sized renditions (domain/use_cases/renditions.py) on memory adapters and the real Pillow
processor: made once, never upscaled, upright, visible only to who sees the original, removed
with the image by delete and purge."""

from __future__ import annotations

import io
import threading
import time
from typing import BinaryIO

import pytest
from PIL import Image as PILImage

from imgtree.domain.commands import ImageChanges
from imgtree.domain.errors import NotFound
from imgtree.domain.model import Image, User
from imgtree.domain.policies import RenditionPolicy
from imgtree.domain.ports import ResizedImage
from imgtree.domain.use_cases.delete import DeleteImage
from imgtree.domain.use_cases.edit_image import EditImage
from imgtree.domain.use_cases.purge import Purge
from imgtree.domain.use_cases.renditions import Renditions, rendition_key
from imgtree.domain.use_cases.upload import IncomingFile, Uploaded, Uploader
from imgtree.domain.use_cases.view_image import ViewImage
from tests.support import imagegen
from tests.support.world import PresignWorld

POLICY = RenditionPolicy(presets=(("medium", 60), ("small", 30), ("large", 200)))


class CountingResizer:
    """The Pillow processor's resize, counted and slowed so concurrent requests overlap."""

    def __init__(self, world: PresignWorld, delay: float = 0.0) -> None:
        self.world, self.delay, self.calls = world, delay, 0
        self._lock = threading.Lock()

    def resize(self, source: BinaryIO, bound: int) -> ResizedImage:
        with self._lock:
            self.calls += 1
        time.sleep(self.delay)
        return self.world.processor.resize(source, bound)


@pytest.fixture
def world() -> PresignWorld:
    return PresignWorld()


def upload(world: PresignWorld, data: bytes, owner: User | None = None) -> Image:
    (outcome,) = world.uploads()(Uploader(user=owner), [IncomingFile(io.BytesIO(data), "a")])
    assert isinstance(outcome, Uploaded), outcome
    return outcome.image


def renditions(world: PresignWorld, resizer: object | None = None) -> Renditions:
    return Renditions(
        ViewImage(world.uow, clock=world.clock),
        world.storage,
        resizer or world.processor,  # type: ignore[arg-type]
        POLICY,
    )


def stored(world: PresignWorld, key: str) -> PILImage.Image:
    with world.storage.open(key) as blob:
        im = PILImage.open(io.BytesIO(blob.read()))
        im.load()
        return im


def test_presets_are_sorted_and_only_smaller_ones_offered() -> None:
    assert POLICY.presets == (("small", 30), ("medium", 60), ("large", 200))
    assert POLICY.offered(100, 80, animated=False) == (("small", 30), ("medium", 60))
    assert POLICY.offered(60, 20, animated=False) == (("small", 30),)  # 60 is not smaller
    # Animations too: every frame is resized, the animation kept.
    assert POLICY.offered(1000, 1000, animated=True) == POLICY.presets


@pytest.mark.parametrize(
    "presets",
    [(("a", 10), ("a", 20)), (("thumb", 10),), (("full", 10),), (("signed", 10),), (("A", 1),)],
)
def test_bad_presets_are_refused(presets: tuple[tuple[str, int], ...]) -> None:
    with pytest.raises(ValueError):
        RenditionPolicy(presets=presets)


def test_first_request_makes_and_stores_it_later_ones_read_it(world: PresignWorld) -> None:
    image = upload(world, imagegen.png(100, 80))
    resizer = CountingResizer(world)
    case = renditions(world, resizer)
    made = case(image.slug, "medium")
    stem = image.storage_key.removeprefix("images/").removesuffix(".png")  # the content's
    assert made.key == rendition_key(image, 60) == f"renditions/{stem}.60.png"
    assert stored(world, made.key).size == (60, 48)
    assert stored(world, made.key).format == "PNG"
    case(image.slug, "medium")
    assert resizer.calls == 1


def test_concurrent_requests_make_it_once(world: PresignWorld) -> None:
    image = upload(world, imagegen.png(100, 80))
    resizer = CountingResizer(world, delay=0.2)
    case = renditions(world, resizer)
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            case(image.slug, "small")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert resizer.calls == 1
    assert case._locks._locks == {}  # no lock kept once nobody waits


@pytest.mark.parametrize("name", ["large", "huge", "thumb", ""])
def test_never_upscaled_and_unknown_sizes_are_not_found(world: PresignWorld, name: str) -> None:
    image = upload(world, imagegen.png(100, 80))
    with pytest.raises(NotFound):
        renditions(world)(image.slug, name)
    assert not list(world.storage.iter_keys("renditions/"))


def test_animations_keep_their_animation(world: PresignWorld) -> None:
    image = upload(world, imagegen.gif(100, 80, frames=3))
    assert image.animated
    made = renditions(world)(image.slug, "small")
    im = stored(world, made.key)
    assert (im.format, im.size, getattr(im, "n_frames", 1)) == ("GIF", (30, 24), 3)


def test_orientation_is_applied(world: PresignWorld) -> None:
    # Stored 100x50 with "rotate 90°": displayed 50x100, the rendition upright at 25x50...
    image = upload(world, imagegen.jpeg(120, 60, exif_orientation=6))
    assert (image.width, image.height) == (60, 120)
    made = renditions(world)(image.slug, "medium")
    im = stored(world, made.key)
    assert im.size == (30, 60)
    assert im.getexif().get(0x0112) in (None, 1)  # ...with no orientation tag left to apply
    red = im.getpixel((im.width - 3, 3))  # the top-left red block turned to the top-right
    assert isinstance(red, tuple) and red[0] > 180 and red[2] < 100


def test_private_images_are_not_found_for_others(world: PresignWorld) -> None:
    owner = world.user()
    image = upload(world, imagegen.png(100, 80), owner)
    EditImage(world.uow, clock=world.clock)(owner.id, image.id, ImageChanges(is_public=False))
    case = renditions(world)
    with pytest.raises(NotFound):
        case(image.slug, "small")
    assert case(image.slug, "small", viewer_id=owner.id).bound == 30


def test_delete_with_a_public_bucket_and_purge_remove_renditions() -> None:
    for bucket in (True, False):
        world = PresignWorld(bucket=bucket)
        owner = world.user()
        image = upload(world, imagegen.png(100, 80), owner)
        case = renditions(world)
        case(image.slug, "small")
        case(image.slug, "medium")
        assert len(list(world.storage.iter_keys("renditions/"))) == 2
        DeleteImage(world.uow, world.hasher, world.clock, world.storage).by_owner(
            owner.id, image.id
        )
        if bucket:  # a public bucket serves blobs without the app: they go at once
            assert not list(world.storage.iter_keys("renditions/"))
        world.clock.advance(30 * 86400)
        Purge(world.uow, world.storage, world.clock)(retention_seconds=86400)
        assert not list(world.storage.iter_keys("renditions/"))
        with world.uow(read_only=True) as uow:
            assert uow.images.get(image.id) is None


def test_purge_sweeps_orphan_renditions_but_keeps_live_ones(world: PresignWorld) -> None:
    image = upload(world, imagegen.png(100, 80))
    kept = renditions(world)(image.slug, "small").key
    orphan = "renditions/00000000-0000-4000-8000-000000000000.30.png"
    world.storage.put(orphan, io.BytesIO(b"x"), "image/png")
    world.clock.advance(2 * 3600)
    report = Purge(world.uow, world.storage, world.clock)(retention_seconds=86400)
    assert report.orphan_blobs == 1
    assert list(world.storage.iter_keys("renditions/")) == [kept]


def test_rendition_sizes_setting() -> None:
    from imgtree.entrypoints.settings import Settings, SettingsError

    def sizes(raw: str) -> tuple[tuple[str, int], ...]:
        return Settings.from_env({"IMGTREE_RENDITION_SIZES": raw}).rendition_sizes

    assert sizes("") == (("small", 640), ("medium", 1280), ("large", 2048))
    assert sizes(" big=2000, tiny=100 ") == (("tiny", 100), ("big", 2000))
    assert sizes("none") == ()
    for bad in (
        "thumb=100",
        "full=100",
        "signed=100",
        "Big=100",
        "a=10",
        "a=99999",
        "a=100,a=200",
        "a=1,b=1x",
        "a",
    ):
        with pytest.raises(SettingsError):
            sizes(bad)
