"""The gallery listing on a database: a page costs the same few indexed statements whatever
the page size or the table size (no N+1), and its query is served by the listing index in
order (no sort of the owner's rows). R6 in docs/benchmarks.md measures the time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, text

from imgtree.adapters.sql.repositories.images import _owner_page, _query_page
from imgtree.domain.commands import ImageQuery, ImageSort
from tests.support.factories import T0, add_users, make_image, make_user
from tests.support.sql_fixtures import Backend


def _fill(backend: Backend, owner_count: int) -> object:
    owner = make_user()
    add_users(backend.uow, owner)
    with backend.uow() as uow:
        for i in range(owner_count):
            uow.images.add(make_image(owner, created_at=T0 + timedelta(seconds=i)))
        uow.commit()
    return owner


def _statements(backend: Backend, fn) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(statement)

    assert backend.engine is not None
    event.listen(backend.engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(backend.engine, "before_cursor_execute", record)
    return seen


def test_sql_a_listing_page_costs_the_same_statements_whatever_its_size(sql: Backend) -> None:
    owner = _fill(sql, 60)

    def page(limit: int) -> None:
        with sql.uow(read_only=True) as uow:
            assert uow.images.count_for_owner(owner.id) == 60
            assert len(uow.images.list_for_owner(owner.id, offset=0, limit=limit)) == limit

    small, large = _statements(sql, lambda: page(2)), _statements(sql, lambda: page(50))
    assert len(small) == len(large)
    assert len([s for s in large if s.lstrip().upper().startswith("SELECT")]) == 2


def test_sql_the_listing_query_walks_the_index_in_order(sql: Backend) -> None:
    owner = _fill(sql, 30)
    _assert_walks_index(sql, owner, _owner_page(False, False), "ix_images_owner_live_recent")


def test_sql_leaving_out_expired_images_keeps_the_listing_on_its_index(sql: Backend) -> None:
    """Issue 17 item 2: `expires_at IS NULL OR expires_at > :now` is checked on the rows the
    listing index yields, in order: no sort step, whatever the order asked."""
    owner = _fill(sql, 30)
    page = _owner_page(False, False, False, True)
    _assert_walks_index(sql, owner, page, "ix_images_owner_live_recent", now=T0)
    by_size = _query_page(False, ImageQuery(sort=ImageSort.SIZE), True)
    _assert_walks_index(sql, owner, by_size, "ix_images_owner_live_size", now=T0)


@pytest.mark.parametrize(
    ("sort", "index"),
    [
        (ImageSort.OLDEST, "ix_images_owner_live_recent"),  # backwards
        (ImageSort.SIZE, "ix_images_owner_live_size"),
        (ImageSort.NAME, "ix_images_owner_live_name"),
    ],
)
def test_sql_each_gallery_order_walks_its_index(sql: Backend, sort: ImageSort, index: str) -> None:
    """Issue 17 item 1: a page of a gallery sorted by age, size or name reads its owner's
    rows in order from an index, never sorting them all (with a search or a filter too: the
    condition is checked on the rows the index yields)."""
    owner = _fill(sql, 30)
    for query in (ImageQuery(sort=sort), ImageQuery(sort=sort, search="cat", visibility=None)):
        _assert_walks_index(sql, owner, _query_page(False, query), index)


def _assert_walks_index(
    sql: Backend, owner: object, statement: object, index: str, **extra: object
) -> None:
    assert sql.engine is not None
    with sql.engine.connect() as conn:
        compiled = statement.compile(dialect=conn.dialect)  # type: ignore[attr-defined]
        params = {"owner_id": owner.id, "offset": 0, "limit": 10, **extra}  # type: ignore[attr-defined]
        bound = compiled.construct_params(params)
        processed = {
            k: (compiled.binds[k].type.bind_processor(conn.dialect) or (lambda v: v))(v)
            for k, v in bound.items()
        }
        if sql.name == "sqlite":
            positional = tuple(processed[n] for n in compiled.positiontup or [])
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), positional)
            plan = " | ".join(str(r[-1]) for r in rows)
            assert index in plan, plan
            assert "TEMP B-TREE" not in plan, plan  # no sort step
        else:
            # A tiny table: forbid the alternatives, so a Sort shows only if the index cannot
            # give the order.
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            conn.execute(text("SET LOCAL enable_sort = off"))
            conn.execute(text("SET LOCAL enable_incremental_sort = off"))
            plan = " | ".join(
                r[0] for r in conn.exec_driver_sql("EXPLAIN " + str(compiled), processed).fetchall()
            )
            assert index in plan, plan
            assert "Sort" not in plan, plan
