"""Reference data: provinces, cities, industrial parks and zones.

Loaded from a JSON file (the shipped one is ``sync/data/iran_reference.json``); every
row loaded is a change in the global scope, so devices receive it through pull.
"""

import json
from importlib import resources
from pathlib import Path

from sync.errors import Invalid
from sync.normalize import fold
from sync.store import GLOBAL_SCOPE, Tx

KINDS = ("provinces", "cities", "parks")
_COLUMNS = {
    "provinces": ("id", "name", "name_en"),
    "cities": ("id", "province_id", "name", "name_en"),
    "parks": ("id", "province_id", "city_id", "name", "name_en", "kind"),
}
ENTITY = {"provinces": "province", "cities": "city", "parks": "park"}


def shipped_reference() -> dict:
    return json.loads(resources.files("sync").joinpath("data/iran_reference.json").read_text("utf-8"))


def read_reference_file(path) -> dict:
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise Invalid({"file": [str(error)]}, "The reference file cannot be read.") from error


def _check(doc: dict) -> None:
    if not isinstance(doc, dict):
        raise Invalid({"file": ["Expected a JSON object with provinces, cities and parks."]})
    errors = {}
    for kind in KINDS:
        rows = doc.get(kind, [])
        if not isinstance(rows, list):
            errors[kind] = ["Expected a list."]
            continue
        for i, row in enumerate(rows):
            if not isinstance(row, dict) or not isinstance(row.get("id"), int) or not row.get("name"):
                errors[f"{kind}[{i}]"] = ["Each row needs an integer id and a name."]
    if errors:
        raise Invalid(errors, "The reference data is not valid.")


def load_reference(tx: Tx, doc: dict) -> dict:
    """Insert or update every row of ``doc``; returns counts of rows that changed."""
    _check(doc)
    counts = {}
    for kind in KINDS:
        columns = _COLUMNS[kind]
        changed = 0
        for row in doc.get(kind, []):
            values = {c: row.get(c) for c in columns}
            if kind == "parks":
                values["kind"] = values["kind"] or "park"
            values["name_key"] = fold(values["name"])
            current = tx.one(f"SELECT * FROM {kind} WHERE id = ?", (values["id"],))
            if current and all(current[c] == values[c] for c in values):
                continue
            names = ", ".join(values)
            marks = ", ".join("?" * len(values))
            updates = ", ".join(f"{c} = excluded.{c}" for c in values if c != "id")
            tx.execute(
                f"INSERT INTO {kind} ({names}) VALUES ({marks}) ON CONFLICT(id) DO UPDATE SET {updates}",
                tuple(values.values()),
            )
            tx.changed(ENTITY[kind], values["id"], [GLOBAL_SCOPE])
            changed += 1
        counts[kind] = changed
    tx.audit("reference.load", "reference", None, **counts)
    return counts


def list_rows(db, kind: str, province_id: int | None = None) -> list[dict]:
    columns = ", ".join(_COLUMNS[kind])
    if province_id is None or kind == "provinces":
        return list(db.query(f"SELECT {columns} FROM {kind} ORDER BY id"))
    return list(db.query(f"SELECT {columns} FROM {kind} WHERE province_id = ? ORDER BY id", [province_id]))


def rows_by_id(db, kind: str, ids) -> dict:
    ids = list(ids)
    if not ids:
        return {}
    columns = ", ".join(_COLUMNS[kind])
    marks = ",".join("?" * len(ids))
    return {r["id"]: r for r in db.query(f"SELECT {columns} FROM {kind} WHERE id IN ({marks})", ids)}
