"""Chevereto API v1 compatibility: `POST /api/1/upload` for ShareX's Chevereto preset, PicGo
plugins and every other client written for Chevereto (docs/chevereto.md)."""

from imgtree.entrypoints.http.chevereto.resource import CheveretoUploadResource

__all__ = ["CheveretoUploadResource"]
