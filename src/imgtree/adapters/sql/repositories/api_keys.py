"""API keys: lookup by public prefix on every API request, per-key upload counters."""

from __future__ import annotations

import uuid

import attrs
from sqlalchemy import BigInteger, bindparam, select

from imgtree.adapters.sql.repositories.base import Repository
from imgtree.adapters.sql.repositories.mapping import api_key_from_row, api_key_values
from imgtree.adapters.sql.tables import api_keys
from imgtree.domain.model import ApiKey

_COUNT_UPLOADS = (
    api_keys.update()
    .where(api_keys.c.id == bindparam("key_id"))
    .values(upload_count=api_keys.c.upload_count + bindparam("by", type_=BigInteger))
)


class SqlApiKeyRepository(Repository[ApiKey]):
    table = api_keys
    what = "API key"
    to_entity = staticmethod(api_key_from_row)
    to_values = staticmethod(api_key_values)

    def add(self, key: ApiKey) -> None:
        self._add(key)

    def get(self, key_id: uuid.UUID) -> ApiKey | None:
        return self._one({"id": key_id})

    def get_by_prefix(self, prefix: str) -> ApiKey | None:
        return self._one({"prefix": prefix})

    def list_for_user(self, user_id: uuid.UUID) -> list[ApiKey]:
        return self._many(
            select(api_keys)
            .where(api_keys.c.user_id == user_id)
            .order_by(api_keys.c.created_at.desc(), api_keys.c.id.desc())
        )

    def update(self, key: ApiKey) -> None:
        self._update(key)

    def increment_uploads(self, key_id: uuid.UUID, by: int) -> None:
        # Computed by the database, so concurrent uploads never lose a count.
        self._s.execute(_COUNT_UPLOADS, {"key_id": key_id, "by": by})
        seen = self._seen.get(key_id)
        if seen is not None:
            self._seen[key_id] = attrs.evolve(seen, upload_count=seen.upload_count + by)
