"""Renditions in formats (issue 16 items 1 and 2) on memory adapters and the real Pillow
processor: presets x formats, the full-size conversion, signed boxes, negotiation's choice,
and the signature itself."""

from __future__ import annotations

import io
from typing import BinaryIO

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image as PILImage

from imgtree.domain.errors import ImageTooComplex, NotFound
from imgtree.domain.model import Image, ImageFormat
from imgtree.domain.policies import RenditionPolicy
from imgtree.domain.ports import ResizedImage
from imgtree.domain.services.shared_blobs import stem_of
from imgtree.domain.use_cases.renditions import (
    FULL,
    Renditions,
    fit_within,
    rendition_key,
    sign_media_path,
    signature_matches,
)
from imgtree.domain.use_cases.upload import IncomingFile, Uploaded, Uploader
from imgtree.domain.use_cases.view_image import ViewImage
from tests.support import imagegen
from tests.support.world import PresignWorld

POLICY = RenditionPolicy(presets=(("small", 30), ("medium", 60)))
WEBP, AVIF, PNG, GIF = ImageFormat.WEBP, ImageFormat.AVIF, ImageFormat.PNG, ImageFormat.GIF


@pytest.fixture
def world() -> PresignWorld:
    return PresignWorld()


def upload(world: PresignWorld, data: bytes) -> Image:
    (outcome,) = world.uploads()(Uploader(), [IncomingFile(io.BytesIO(data), "a")])
    assert isinstance(outcome, Uploaded), outcome
    return outcome.image


def case(
    world: PresignWorld, policy: RenditionPolicy = POLICY, resizer: object = None
) -> Renditions:
    return Renditions(
        ViewImage(world.uow, clock=world.clock),
        world.storage,
        resizer or world.processor,  # type: ignore[arg-type]
        policy,
    )


def stored(world: PresignWorld, key: str) -> PILImage.Image:
    with world.storage.open(key) as blob:
        im = PILImage.open(io.BytesIO(blob.read()))
        im.load()
        return im


def test_policy_offers_the_other_formats_avif_first() -> None:
    assert POLICY.converted(PNG, animated=False) == (AVIF, WEBP)
    assert POLICY.converted(WEBP, animated=False) == (AVIF,)  # never its own format twice
    only_webp = RenditionPolicy(formats=("original", "webp"))
    assert only_webp.converted(PNG, animated=False) == (WEBP,)
    still = RenditionPolicy(animates=frozenset({GIF, WEBP}))
    assert still.converted(GIF, animated=True) == (WEBP,)  # cannot animate AVIF: not offered
    no_original = RenditionPolicy(formats=("webp",))
    assert no_original.offered(5000, 5000, animated=False) == ()
    assert no_original.sizes(5000, 5000) == no_original.presets


@pytest.mark.parametrize("formats", [("gif",), ("webp", "webp"), ("jpeg",)])
def test_bad_formats_are_refused(formats: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        RenditionPolicy(formats=formats)


@pytest.mark.parametrize("fmt", [WEBP, AVIF])
@pytest.mark.parametrize("name", ["small", "medium", FULL])
def test_presets_by_formats_are_made_and_stored_under_their_format(
    world: PresignWorld, fmt: ImageFormat, name: str
) -> None:
    image = upload(world, imagegen.png(100, 80))
    made = case(world).of(image, name, fmt)
    bound = {"small": 30, "medium": 60, FULL: 100}[name]
    assert (
        made.key
        == rendition_key(image, bound, fmt)
        == f"renditions/{stem_of(image.storage_key)}.{bound}.{fmt.extension}"
    )
    im = stored(world, made.key)
    assert im.format == fmt.name and max(im.size) == bound
    assert made.etag == f'"{image.id.hex}r{bound}{fmt.extension}"'


def test_full_in_the_original_format_is_the_original_not_a_rendition(world: PresignWorld) -> None:
    image = upload(world, imagegen.png(100, 80))
    with pytest.raises(NotFound):
        case(world).of(image, FULL)
    with pytest.raises(NotFound):
        case(world).of(image, "small", ImageFormat.JPEG)  # not an offered format
    policy = RenditionPolicy(presets=(("small", 30),), formats=("original",))
    with pytest.raises(NotFound):
        case(world, policy).of(image, "small", WEBP)
    assert not list(world.storage.iter_keys("renditions/"))


@pytest.mark.parametrize("fmt", [None, WEBP, AVIF])
def test_animations_keep_every_frame_in_every_format(
    world: PresignWorld, fmt: ImageFormat | None
) -> None:
    image = upload(world, imagegen.gif(100, 80, frames=3))
    made = case(world).of(image, "small", fmt)
    im = stored(world, made.key)
    assert getattr(im, "n_frames", 1) == 3 and im.size == (30, 24)


def test_a_format_that_cannot_animate_is_not_offered_for_an_animation(
    world: PresignWorld,
) -> None:
    image = upload(world, imagegen.gif(100, 80, frames=3))
    policy = RenditionPolicy(presets=(("small", 30),), animates=frozenset({GIF, WEBP}))
    with pytest.raises(NotFound):
        case(world, policy).of(image, "small", AVIF)
    assert case(world, policy).of(image, "small", WEBP).format is WEBP


def test_the_last_reference_takes_every_format_with_it(world: PresignWorld) -> None:
    from imgtree.domain.services.shared_blobs import content_keys

    image = upload(world, imagegen.png(100, 80))
    renditions = case(world)
    for fmt in (None, WEBP, AVIF):
        renditions.of(image, "small", fmt)
    renditions.of(image, FULL, WEBP)
    renditions.sized(image, 50, 50, AVIF)
    assert len(list(world.storage.iter_keys("renditions/"))) == 5
    for key in content_keys(world.storage, image):  # what purge deletes with the last one
        world.storage.delete(key)
    assert not list(world.storage.iter_keys("renditions/"))


@given(st.integers(1, 5000), st.integers(1, 5000), st.integers(1, 4096), st.integers(1, 4096))
def test_fit_within_never_upscales_and_fits(w: int, h: int, bw: int, bh: int) -> None:
    bound = fit_within(w, h, bw, bh)
    assert 1 <= bound <= max(w, h)
    if w >= h:
        assert bound <= max(bw, 1) or bound == 1
    scale = bound / max(w, h)
    assert round(w * scale) <= bw + 1 and round(h * scale) <= bh + 1


def test_signed_sizes_fit_and_share_files(world: PresignWorld) -> None:
    image = upload(world, imagegen.png(100, 80))
    renditions = case(world)
    made = renditions.sized(image, 50, 1000)  # width-bound: 50 x 40
    assert made.bound == 50 and stored(world, made.key).size == (50, 40)
    assert renditions.sized(image, 1000, 40).key == made.key  # the same picture, one file
    same = renditions.sized(image, 4096, 4096)  # never upscaled: the original itself
    assert same.key == image.storage_key and same.etag == f'"{image.id.hex}"'
    full = renditions.sized(image, 4096, 4096, WEBP)
    assert full.key == rendition_key(image, 100, WEBP)
    for width, height in ((0, 10), (10, 0), (4097, 10), (-1, 5)):
        with pytest.raises(NotFound):
            renditions.sized(image, width, height)


class Refusing:
    """A resizer over the budget."""

    def __init__(self) -> None:
        self.calls = 0

    def resize(self, source: BinaryIO, bound: int, fmt: ImageFormat | None = None) -> ResizedImage:
        self.calls += 1
        raise ImageTooComplex("too complex")


def test_negotiation_prefers_in_order_and_falls_back_to_the_original(
    world: PresignWorld,
) -> None:
    photo = upload(world, imagegen.jpeg(200, 150))
    renditions = case(world)
    chosen = renditions.negotiated(photo, (AVIF, WEBP))
    assert chosen is not None and chosen.format is AVIF and chosen.name == FULL
    chosen = renditions.negotiated(photo, (WEBP,))
    assert chosen is not None and chosen.format is WEBP
    assert renditions.negotiated(photo, ()) is None
    # A variant the image's own format already is: nothing to negotiate.
    webp = upload(world, imagegen.webp(200, 150))
    assert renditions.negotiated(webp, (WEBP,)) is None
    # Over the budget: the original, and the failure is remembered (not retried per request).
    other = upload(world, imagegen.jpeg(200, 150, quality=80))
    refusing = Refusing()
    failing = case(world, resizer=refusing)
    assert failing.negotiated(other, (WEBP,)) is None
    assert failing.negotiated(other, (WEBP,)) is None
    assert refusing.calls == 1


def test_negotiation_never_serves_a_larger_variant(world: PresignWorld) -> None:
    image = upload(world, imagegen.png(100, 80))
    renditions = case(world)
    made = renditions.of(image, FULL, AVIF)
    world.storage.put(made.key, io.BytesIO(b"x" * (image.size_bytes + 1)), "image/avif")
    chosen = renditions.negotiated(image, (AVIF, WEBP))  # AVIF larger: the next choice
    assert chosen is not None and chosen.format is WEBP
    assert rendition_key(image, 100, AVIF) in renditions._originals  # decided once
    assert renditions.negotiated(image, (AVIF,)) is None


def test_signature_is_hmac_sha256_base64url_unpadded() -> None:
    import base64
    import hashlib
    import hmac

    key, path = b"k" * 32, "300x200/abcd1234.webp"
    expected = base64.urlsafe_b64encode(hmac.new(key, path.encode(), hashlib.sha256).digest())
    assert sign_media_path(key, path) == expected.rstrip(b"=").decode()
    assert signature_matches(key, path, sign_media_path(key, path))
    assert not signature_matches(key, "301x200/abcd1234.webp", sign_media_path(key, path))
    assert not signature_matches(b"j" * 32, path, sign_media_path(key, path))
    assert not signature_matches(key, path, "é" * 43)  # not ASCII: no error, no match


def test_format_and_signing_settings() -> None:
    from imgtree.entrypoints.settings import Settings, SettingsError

    d = Settings.from_env({})
    assert d.rendition_formats == ("original", "webp", "avif")
    assert d.negotiate_formats is False and d.media_signing_key is None
    s = Settings.from_env(
        {
            "IMGTREE_RENDITION_FORMATS": " WebP , original",
            "IMGTREE_NEGOTIATE_FORMATS": "1",
            "IMGTREE_MEDIA_SIGNING_KEY": "s" * 32,
        }
    )
    assert s.rendition_formats == ("webp", "original") and s.negotiate_formats
    assert s.media_signing_key == "s" * 32 and "s" * 32 not in repr(s)
    for env in (
        {"IMGTREE_RENDITION_FORMATS": "gif"},
        {"IMGTREE_RENDITION_FORMATS": "webp,webp"},
        {"IMGTREE_MEDIA_SIGNING_KEY": "short"},
    ):
        with pytest.raises(SettingsError):
            Settings.from_env(env)


@given(st.text(max_size=300))
def test_accept_parsing_never_fails_and_names_only_negotiable_formats(header: str) -> None:
    from imgtree.entrypoints.http.public import accepted_formats

    chosen = accepted_formats(header)
    assert set(chosen) <= {AVIF, WEBP} and len(set(chosen)) == len(chosen)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("image/avif,image/webp,image/apng,image/*,*/*;q=0.8", (AVIF, WEBP)),
        ("image/webp,*/*", (WEBP,)),
        ("IMAGE/WEBP ; Q=0.5, image/avif;q=0.4", (WEBP, AVIF)),
        ("image/avif;q=0, image/webp;q=0.000", ()),
        ("image/avif;q=nonsense, image/webp", (WEBP,)),
        ("image/*, */*", ()),
        ("", ()),
        (None, ()),
    ],
)
def test_accept_parsing(header: str | None, expected: tuple[ImageFormat, ...]) -> None:
    from imgtree.entrypoints.http.public import accepted_formats

    assert accepted_formats(header) == expected
