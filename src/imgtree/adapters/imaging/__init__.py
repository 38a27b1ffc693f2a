"""Image verification, sanitising and thumbnails: the `ImageProcessor` port on Pillow."""

from imgtree.adapters.imaging.pillow import PillowImageProcessor, make_rendition
from imgtree.adapters.imaging.sniff import sniff

__all__ = ["PillowImageProcessor", "make_rendition", "sniff"]
