"""Tags for nodes and workflows: one way to replace an item's tags, whichever table holds them."""

from __future__ import annotations

import uuid

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

MAX_TAG_LENGTH = 64


class TagError(ValueError):
    pass


def normalise(names: list[str]) -> list[str]:
    """Lower-cased, trimmed, unique, sorted; refuses a tag longer than the column holds."""
    wanted = sorted({n.strip().lower() for n in names if n.strip()})
    too_long = [t for t in wanted if len(t) > MAX_TAG_LENGTH]
    if too_long:
        raise TagError(f"a tag is at most {MAX_TAG_LENGTH} characters: {too_long[0][:20]}…")
    return wanted


def tags_by_item(session: Session, tag_model, links: Table, item_column: str,
                 item_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Each item's tag names, sorted, in one query (an item without tags maps to [])."""
    out: dict[uuid.UUID, list[str]] = {i: [] for i in item_ids}
    if item_ids:
        rows = session.execute(select(links.c[item_column], tag_model.name)
                               .join(tag_model, tag_model.id == links.c.tag_id)
                               .where(links.c[item_column].in_(item_ids)).order_by(tag_model.name))
        for item_id, name in rows:
            out[item_id].append(name)
    return out


def replace_tags(session: Session, tag_model, links: Table, item_column: str, item_id: uuid.UUID,
                 names: list[str]) -> list[str]:
    """Make `names` the item's tags (tags are created on first use); the tags now held."""
    wanted = normalise(names)
    tags = {t.name: t for t in session.scalars(select(tag_model).where(tag_model.name.in_(wanted)))} if wanted else {}
    for name in wanted:
        if name not in tags:
            tags[name] = tag_model(name=name)
            session.add(tags[name])
    session.flush()
    session.execute(links.delete().where(links.c[item_column] == item_id))
    if wanted:
        session.execute(links.insert(), [{item_column: item_id, "tag_id": tags[n].id} for n in wanted])
    return wanted
