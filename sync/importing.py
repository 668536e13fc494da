"""Loading a spreadsheet of units (JSON Lines, CSV or XLSX) into the store, deduplicated.

Rows use the batch-mode keys (``id``, ``name``, ``national_id``, ``license_no``,
``province``, ``city``, ``park``, ``address``, ``phone``, ``lat``, ``lon``, ``owner``,
``activity``, ``status``, ``employees``); places may be names, as agencies type them, or
ids. Each row becomes a unit through the ordinary write path and is matched against the
store exactly as a pushed unit is: a sure duplicate is merged into the unit already
there, a likely one is queued for a supervisor. A row that cannot be read is reported
with its line number and skipped; nothing of it is written.
"""

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path

from sync import matching, units
from sync.errors import DomainError, Invalid
from sync.ids import new_id
from sync.normalize import digits, fold, park_key, place_key
from sync.store import SYSTEM, Actor, write

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".xlsx": "xlsx"}
_STATUS_WORDS = {fold(k): v for k, v in {
    "active": "active", "فعال": "active", "semi_active": "semi_active", "semi-active": "semi_active",
    "نیمه فعال": "semi_active", "نیمه‌فعال": "semi_active", "نیمه راکد": "semi_active",
    "stalled": "stalled", "راکد": "stalled", "غیرفعال": "stalled", "closed": "closed", "تعطیل": "closed",
}.items()}
CHUNK = 200


def read_records(path) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, record or None, why not) for every data row of the file."""
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise Invalid({"file": [f"Unknown file type {path.suffix!r}; use .jsonl, .csv or .xlsx."]})
    if kind == "jsonl":
        with path.open(encoding="utf-8-sig", errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as error:
                    yield number, None, f"not JSON: {error}"
                    continue
                yield (number, record, None) if isinstance(record, dict) else (number, None, "not a JSON object")
    elif kind == "csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), 2):
                yield number, {k.strip(): v for k, v in row.items() if k}, None
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        rows = sheet.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
        for number, values in enumerate(rows, 2):
            if any(v not in (None, "") for v in values):
                yield number, {h: v for h, v in zip(header, values, strict=False) if h}, None


class Places:
    """Province, city and park ids by the names people type (or by id)."""

    def __init__(self, db):
        self.provinces = {place_key(r["name"]): r["id"] for r in db.query("SELECT id, name FROM provinces")}
        self.cities = {(r["province_id"], place_key(r["name"])): r["id"]
                       for r in db.query("SELECT id, province_id, name FROM cities")}
        self.parks = {(r["province_id"], park_key(r["name"])): r["id"]
                      for r in db.query("SELECT id, province_id, name FROM parks")}
        self.ids = {table: {r[0] for r in db.execute(f"SELECT id FROM {table}")}
                    for table in ("provinces", "cities", "parks")}

    def find(self, table: str, value, province_id=None):
        if value in (None, ""):
            return None
        number = digits(value) if isinstance(value, str | int) else ""
        if number and str(value).strip().isdigit() and int(number) in self.ids[table]:
            return int(number)
        if table == "provinces":
            return self.provinces.get(place_key(value))
        index, key = (self.cities, place_key(value)) if table == "cities" else (self.parks, park_key(value))
        return index.get((province_id, key))


def _text(value):
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def unit_fields(places: Places, record: dict) -> dict:
    """Unit fields from an imported row; unknown city/park names are dropped, not fatal."""
    province_id = places.find("provinces", record.get("province"))
    if province_id is None:
        raise Invalid({"province": [f"Unknown province {record.get('province')!r}."]})
    fields = {"name": _text(record.get("name")), "province_id": province_id,
              "city_id": places.find("cities", record.get("city"), province_id),
              "park_id": places.find("parks", record.get("park"), province_id)}
    for key in ("national_id", "license_no", "address", "phone", "owner", "activity"):
        fields[key] = _text(record.get(key))
    status = _STATUS_WORDS.get(fold(record.get("status") or ""))
    if status:
        fields["status"] = status
    employees = digits(record.get("employees"))
    if employees and len(employees) < 7:
        fields["employees"] = int(employees)
    try:
        lat, lon = float(record.get("lat")), float(record.get("lon"))
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            fields["location"] = {"lat": lat, "lon": lon}
    except (TypeError, ValueError):
        pass
    return {k: v for k, v in fields.items() if v is not None}


def import_units(db, records, now, actor: Actor = SYSTEM,
                 progress: Callable[[int], None] | None = None) -> dict:
    """Create a unit per readable record and match it against the store; returns a summary."""
    places = Places(db)
    summary = {"rows": 0, "created": 0, "merged": 0, "queued": 0, "rejected": 0, "errors": []}
    batch = []

    def flush():
        with write(db, now, actor) as tx:
            for number, record, why in batch:
                _one(tx, places, number, record, why, summary)
        if progress:
            progress(len(batch))
        batch.clear()

    for item in records:
        batch.append(item)
        if len(batch) >= CHUNK:
            flush()
    if batch:
        flush()
    return summary


def _one(tx, places, number, record, why, summary) -> None:
    summary["rows"] += 1
    try:
        if record is None:
            raise Invalid({"row": [why]})
        with tx.savepoint("import_row"):
            fields = units.validate_fields(tx.db, unit_fields(places, record), creating=True)
            unit_id = new_id()
            units.create(tx, unit_id, fields, tx.at)
            tx.audit("unit.import", "unit", unit_id, source_id=record.get("id"), line=number)
            outcome = matching.match_written_unit(tx, unit_id, source="import")
    except DomainError as error:
        summary["rejected"] += 1
        summary["errors"].append({"line": number, "error": error.details.get("fields") or error.message})
        return
    summary["created"] += 1
    if outcome and outcome["status"] == "merged":
        summary["merged"] += 1
    elif outcome:
        summary["queued"] += 1
