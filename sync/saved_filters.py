"""Named filters a console user keeps for a list (the review queue, the obstacle register…),
to open it again as it was. Each belongs to one user and is seen by no one else."""

from urllib.parse import urlencode

from sync.errors import Invalid, NotFound
from sync.store import Tx

PAGES = ("queue", "obstacles", "units", "conflicts", "photos", "map", "revisits")
MAX_NAME = 80
MAX_QUERY = 2000
MAX_PER_PAGE = 50


def query_of(raw: dict) -> str:
    """A list's filter values (as typed) as the query string that reopens it; the page number
    is left out, a saved view starts at its first page."""
    return urlencode(sorted((k, v) for k, v in raw.items() if v not in (None, "") and k != "page"))


def save(tx: Tx, user_id: int, page: str, name, query) -> int:
    """Keep ``query`` under ``name`` for ``user_id``'s ``page``; the same name replaces it."""
    name = name.strip() if isinstance(name, str) else ""
    if page not in PAGES:
        raise Invalid({"page": [f"One of: {', '.join(PAGES)}."]})
    if not name or len(name) > MAX_NAME:
        raise Invalid({"name": [f"Between 1 and {MAX_NAME} characters."]})
    if not isinstance(query, str) or len(query) > MAX_QUERY:
        raise Invalid({"query": [f"At most {MAX_QUERY} characters."]})
    count = tx.one("SELECT count(*) AS n FROM saved_filters WHERE user_id = ? AND page = ? AND name != ?",
                   (user_id, page, name))["n"]
    if count >= MAX_PER_PAGE:
        raise Invalid({"name": [f"At most {MAX_PER_PAGE} saved filters per list; delete one first."]})
    tx.execute("INSERT INTO saved_filters (user_id, page, name, query, created_at) VALUES (?, ?, ?, ?, ?)"
               " ON CONFLICT(user_id, page, name) DO UPDATE SET query = excluded.query,"
               " created_at = excluded.created_at", (user_id, page, name, query, tx.at))
    filter_id = tx.one("SELECT id FROM saved_filters WHERE user_id = ? AND page = ? AND name = ?",
                       (user_id, page, name))["id"]
    tx.audit("filter.save", "saved_filter", filter_id, page=page, name=name)
    return filter_id


def remove(tx: Tx, user_id: int, filter_id: int) -> None:
    row = tx.one("SELECT page, name FROM saved_filters WHERE id = ? AND user_id = ?", (filter_id, user_id))
    if row is None:
        raise NotFound(f"No saved filter {filter_id}.")
    tx.execute("DELETE FROM saved_filters WHERE id = ?", (filter_id,))
    tx.audit("filter.delete", "saved_filter", filter_id, page=row["page"], name=row["name"])


def for_user(db, user_id: int, page: str) -> list[dict]:
    return list(db.query("SELECT id, name, query, created_at FROM saved_filters WHERE user_id = ? AND page = ?"
                         " ORDER BY name COLLATE fa", [user_id, page]))
