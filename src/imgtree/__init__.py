"""imgtree: a self-hostable image host and an embeddable image-upload domain library."""

__version__ = "0.1.0"
