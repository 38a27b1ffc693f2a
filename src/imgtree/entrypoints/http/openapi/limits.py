"""The numbers the document publishes, taken from the domain rather than repeated here: the
policies' defaults (batch size, paging, open presigns) and the validation rules' bounds."""

from __future__ import annotations

from imgtree.domain.model import Scope
from imgtree.domain.policies import PagePolicy, UploadPolicy
from imgtree.domain.use_cases.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from imgtree.domain.use_cases.albums import MAX_DESCRIPTION, MAX_TITLE
from imgtree.domain.use_cases.claim import MAX_CLAIM_ITEMS, MAX_CLAIM_TOKEN_CHARS
from imgtree.domain.use_cases.keys import MAX_KEY_NAME
from imgtree.domain.use_cases.list_images import MAX_PAGE
from imgtree.entrypoints.containers.policies import GUEST_MAX_OPEN_PRESIGNS

__all__ = [
    "BATCH_LIMIT",
    "GUEST_MAX_OPEN_PRESIGNS",
    "MAX_CLAIM_ITEMS",
    "MAX_CLAIM_TOKEN_CHARS",
    "MAX_DESCRIPTION",
    "MAX_KEY_NAME",
    "MAX_OPEN_PRESIGNS",
    "MAX_PAGE",
    "MAX_PASSWORD_LENGTH",
    "MAX_TITLE",
    "MIN_PASSWORD_LENGTH",
    "PAGE_DEFAULT_LIMIT",
    "PAGE_MAX_LIMIT",
    "SCOPE_NAMES",
]

SCOPE_NAMES = [scope.value for scope in Scope]

_UPLOADS = UploadPolicy()
_PAGES = PagePolicy()

BATCH_LIMIT = _UPLOADS.batch_limit
MAX_OPEN_PRESIGNS = _UPLOADS.max_open_presigns
PAGE_DEFAULT_LIMIT = _PAGES.default_limit
PAGE_MAX_LIMIT = _PAGES.max_limit
# Guests' cap on unfinished presigns (GUEST_MAX_OPEN_PRESIGNS) is not a domain default: the
# composition root's Policies container builds the guests' UploadPolicy with it.
