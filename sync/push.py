"""Applying a device's batch of mutations, exactly once.

The batch is one transaction; each mutation runs on its own savepoint, so a rejected
mutation is undone alone, kept in ``dead_letters``, and does not block the rest. Every
mutation's answer is stored in the ``mutations`` ledger keyed by (device, mutation id):
a retried batch — or one whose response was lost — gets the stored answers back and
changes nothing.
"""

import hashlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from marshmallow import ValidationError

from schemas.sync import load_mutation
from sync import checklists, durability, field_paths, jsontext, matching, units, visits
from sync.clock import iso, parse_time
from sync.errors import BatchTooLarge, Conflict, DomainError, Invalid, StoreReplaced
from sync.store import Actor, Tx, store_id, write


def check_store(db, named: str | None) -> None:
    """A push that names another store than this one is refused whole: its device does not
    know yet that the store was replaced, and must hear it from a pull before it pushes, so
    that what the restore lost goes first, in id order (§7)."""
    current = store_id(db)
    if named is not None and named != current:
        raise StoreReplaced("The store was replaced (restored); pull first, then push again.",
                            {"store_id": current})


def check_batch(mutations: list, max_mutations: int) -> None:
    """Whole-batch rules; breaking one refuses the batch before anything is written."""
    if len(mutations) > max_mutations:
        raise BatchTooLarge(
            f"A batch holds at most {max_mutations} mutations; this one has {len(mutations)}.",
            {"max_mutations": max_mutations, "mutations": len(mutations)},
        )
    ids = [m["mutation_id"] for m in mutations]
    if any(b <= a for a, b in zip(ids, ids[1:], strict=False)):
        raise Invalid({"mutations": ["mutation_id must strictly increase within a batch."]})


def _body_hash(mutation: dict) -> str:
    """The ledger's fingerprint of a mutation as the device sent it. Only for a mutation
    holding no NaN, infinity or integer beyond 64 bits (see :func:`prepare`): orjson writes
    NaN as null, so such a mutation and its twin with null would share a hash."""
    return hashlib.sha256(jsontext.canonical(mutation)).hexdigest()


def _legacy_body_hash(mutation: dict) -> str:
    """The fingerprint as the standard library wrote it, before orjson: ledger rows written
    then still hold it, and a retry of one of them must still be recognised. Also the hash
    of a mutation that may hold numbers orjson cannot tell apart (NaN)."""
    text = json.dumps(mutation, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _same_body(stored_hash: str, ready: "Ready", raw: dict) -> bool:
    """Is the ledger's row for this mutation id this very mutation? Its hash may be either
    fingerprint: written before orjson, or in a batch that held a number orjson cannot tell
    apart (then every mutation of that batch was given the old one)."""
    if stored_hash == ready.body_hash or stored_hash == _legacy_body_hash(raw):
        return True
    return not field_paths.unstorable_numbers(raw) and stored_hash == _body_hash(raw)


# A device time before this is a clock that was reset (phones fall back to 1970 or their
# build date when the battery dies), not an observation.
TRUSTED_SINCE = datetime(2000, 1, 1, tzinfo=UTC)


def _observed(mutation: dict, now: datetime, skew: timedelta) -> tuple[datetime, str]:
    """(trusted time, time as sent): a device clock beyond the tolerance in the future, or
    before TRUSTED_SINCE, is replaced by the receipt time; what the device sent is kept."""
    sent = mutation["observed_at"]
    return (now if sent > now + skew or sent < TRUSTED_SINCE else sent), iso(sent)


def _create_unit(tx: Tx, m: dict, observed: str, _sent: str) -> dict:
    fields = units.validate_fields(tx.db, m["unit_fields"], creating=True)
    unit_id = m["unit_id"]
    if units.get_row(tx.db, unit_id) is not None:
        raise Conflict("A unit with this id already exists.",
                       {"fields": {"unit_id": ["Already used; generate a new id for a new unit."]}})
    units.create(tx, unit_id, fields, observed)
    return _matched(tx, unit_id, unit_id)


def _matched(tx: Tx, named: str, written: str) -> dict:
    """Result keys after matching the written unit against the store (see ``sync/matching.py``)."""
    dedup = matching.match_written_unit(tx, written)
    final = units.resolve(tx.db, written)
    result = {"unit_id": final}
    if final != named:
        result["redirected_from"] = named
    if dedup:
        result["dedup"] = dedup
    return result


def _update_unit(tx: Tx, m: dict, observed: str, _sent: str) -> dict:
    fields = units.validate_fields(tx.db, m["unit_fields"], creating=False)
    outcome = units.update(tx, m["unit_id"], fields, m["base_seq"], observed)
    result = _matched(tx, m["unit_id"], outcome["unit_id"])
    if outcome["conflicts"]:
        result["conflicts"] = outcome["conflicts"]
    return result


def _create_visit(tx: Tx, m: dict, observed: str, sent: str) -> dict:
    outcome = visits.create(tx, m, observed, sent)
    result = {"visit_id": outcome["visit_id"], "unit_id": outcome["unit_id"]}
    if outcome["redirected_from"]:
        result["redirected_from"] = outcome["redirected_from"]
    return result


def _revise_visit(tx: Tx, m: dict, observed: str, _sent: str) -> dict:
    return visits.revise(tx, m, observed)


_HANDLERS = {"create_unit": _create_unit, "update_unit": _update_unit, "create_visit": _create_visit,
             "revise_visit": _revise_visit}


def _status(result: dict) -> str:
    if result.get("conflicts"):
        return "conflict"
    if result.get("redirected_from"):
        return "redirected"
    return "applied"


# Mutation types whose content is a checklist form, checked before the write lock.
_FORMS = ("create_visit", "revise_visit")


def _prepare(db, raw: dict, now: datetime, skew: timedelta, memo: dict, check_numbers: bool = True):
    """Everything about one mutation that needs no write lock: the schema, the observation
    times and, for visits, the form itself. Returns (mutation, observed, sent), or the
    DomainError to reject it with. Runs outside the transaction, so batches from several
    devices are checked in parallel and the lock is held only to write."""
    wide = field_paths.unstorable_numbers(raw) if check_numbers else None
    if wide:
        return Invalid(wide)
    try:
        mutation = load_mutation(raw)
    except ValidationError as error:
        return Invalid(error.normalized_messages())
    # The form sees the trusted time: a visit_date bound means the day the engineer was there.
    mutation["observed_at"], sent = _observed(mutation, now, skew)
    if raw["type"] in _FORMS:
        mutation[checklists.FORM_KEY] = checklists.check_form(db, mutation, memo)
    return mutation, iso(mutation["observed_at"]), sent


def _apply(tx: Tx, raw: dict, prepared) -> dict:
    if isinstance(prepared, DomainError):
        raise prepared
    mutation, observed, sent = prepared
    try:
        with tx.savepoint("mutation"):
            return _HANDLERS[raw["type"]](tx, mutation, observed, sent)
    except sqlite3.IntegrityError as error:
        # A constraint the validation above missed: reject this mutation, not the batch,
        # so one bad record cannot block the device's outbox.
        raise Invalid({"mutation": [f"Breaks a store constraint: {error}."]}) from error


# Mutation types whose ``fields`` are a unit's fields: errors name them ``fields.<name>``.
_UNIT_TYPES = ("create_unit", "update_unit")


def _answer(error: DomainError, mutation_type: str) -> dict:
    """The error as a device receives it: field errors keyed by their path in the mutation
    (see sync/field_paths.py), whichever check raised them."""
    answer = error.as_dict()
    messages = answer.get("details", {}).get("fields")
    if isinstance(messages, dict):
        flat = field_paths.flatten(messages)
        if mutation_type in _UNIT_TYPES:
            flat = field_paths.prefixed(flat, "fields", units.FIELDS)
        answer["details"] = {**answer["details"], "fields": flat}
    return answer


def _reject(tx: Tx, raw: dict, error: DomainError) -> dict:
    answer = _answer(error, raw["type"])
    tx.execute(
        "INSERT INTO dead_letters (device_id, user_id, mutation_id, type, mutation, error, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (tx.actor.device_id, tx.actor.user_id, raw["mutation_id"], raw["type"],
         json.dumps(field_paths.json_safe(raw), ensure_ascii=False), json.dumps(answer, ensure_ascii=False), tx.at),
    )
    tx.audit("mutation.reject", "mutation", f"{tx.actor.device_id}/{raw['mutation_id']}",
             code=error.code, type=raw["type"])
    return {"status": "rejected", "error": answer}


# How long after a restore a mutation may wait for a unit the restore lost (see _may_wait).
RESTORE_GRACE = timedelta(days=14)


def _may_wait(tx: Tx, error: DomainError, mutation_id: int, floor: int | None, waits: bool) -> bool:
    """Should this mutation be answered ``deferred`` (not recorded) rather than rejected?

    After a restore, a device may refer to a unit another device created in the window the
    restore lost — it saw the unit in a pull from the old store. That device sends the unit
    again (§7), but perhaps after this one. A mutation the restore may have lost (above the
    device's floor) that fails only because such a unit (or visit) is unknown waits for it,
    for RESTORE_GRACE after the restore, from clients that said they can wait."""
    # A device registered since the restore has no floor; what it lost is all above 0.
    if not (waits and mutation_id > (floor or 0) and error.code == "not_found"):
        return False
    named = set(error.details.get("fields") or {})
    restored = durability.restored_at(tx.db)
    return bool(named & {"unit_id", "visit_id"}) and restored is not None and \
        tx.now - parse_time(restored) < RESTORE_GRACE


def _ledger_rows(tx: Tx, mutations: list[dict]) -> dict[int, dict]:
    """The ledger's rows for these mutation ids of ``tx.actor``'s device, in one read (a
    batch's ids strictly increase, so none of them is written while the batch runs)."""
    ids = [m["mutation_id"] for m in mutations]
    rows: dict[int, dict] = {}
    for start in range(0, len(ids), 500):  # under SQLite's limit on bound values
        part = ids[start:start + 500]
        rows.update((row["mutation_id"], row) for row in tx.db.query(
            "SELECT mutation_id, body_hash, status, result FROM mutations WHERE device_id = ?"
            f" AND mutation_id IN ({','.join('?' * len(part))})", [tx.actor.device_id, *part]))
    return rows


def _one(tx: Tx, raw: dict, ready: "Ready", prior: dict | None, last_applied: int, floor: int | None,
         waits: bool = False) -> dict:
    device_id, mutation_id = tx.actor.device_id, raw["mutation_id"]
    body_hash, prepared = ready
    if prior and _same_body(prior["body_hash"], ready, raw):
        return {**json.loads(prior["result"]), "status": "duplicate", "first_status": prior["status"]}
    if prior:
        # Same id, other content: the device lost its counter. Keep the data, apply nothing.
        # The ledger row belongs to the first mutation, so a resend of this one is recognised
        # by its dead letter instead: it gets the same answer and adds no second copy.
        error = Conflict(
            "This mutation id was already used for a different mutation; the device must not reuse ids.",
            {"fields": {"mutation_id": ["Reused with different content."]}})
        kept = tx.execute("SELECT mutation FROM dead_letters WHERE device_id = ? AND mutation_id = ?",
                          (device_id, mutation_id)).fetchall()
        kept_as = _legacy_body_hash(field_paths.json_safe(raw))  # dead letters keep the JSON-safe form
        if any(_legacy_body_hash(json.loads(text)) == kept_as for (text,) in kept):
            outcome = {"status": "rejected", "error": _answer(error, raw["type"])}
        else:
            outcome = _reject(tx, raw, error)
        return {"mutation_id": mutation_id, **outcome}
    if mutation_id <= last_applied and not (floor is not None and mutation_id > floor):
        # Above the floor, an id the ledger lacks is one a restore lost, sent again (§7).
        result = _reject(tx, raw, Invalid(
            {"mutation_id": [f"Must be greater than {last_applied}, the last id this device sent."]},
            "Mutation ids must strictly increase across batches."))
    else:
        try:
            result = _apply(tx, raw, prepared)
            result["status"] = _status(result)
        except DomainError as error:
            if _may_wait(tx, error, mutation_id, floor, waits):
                return {"mutation_id": mutation_id, "status": "deferred", "error": _answer(error, raw["type"])}
            result = _reject(tx, raw, error)
    result = {"mutation_id": mutation_id, **result}
    # Read back by a later batch only (ids strictly increase within one): written at the end.
    tx.later(
        "INSERT INTO mutations (device_id, mutation_id, type, body_hash, status, result, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (device_id, mutation_id, raw["type"], body_hash, result["status"], jsontext.dumps(result), tx.at),
    )
    return result


class Ready(NamedTuple):
    """A mutation as :func:`prepare` leaves it for :func:`apply`: its body's hash (the ledger's
    key to a resend) and the loaded mutation with its times, or the error to reject it with."""

    body_hash: str
    prepared: object


def prepare(db, mutations: list[dict], now: datetime, skew_seconds: int, check_numbers: bool = True) -> list:
    """What :func:`apply` needs of each mutation that takes no write lock (see ``_prepare``):
    the write lock is held only to write, so all that can be worked out before is.
    ``check_numbers=False``: the parser saw no number that no field can hold, so none is
    looked for item by item."""
    skew = timedelta(seconds=skew_seconds)
    memo: dict = {}
    # A batch that may hold NaN, an infinity or a number beyond 64 bits is fingerprinted
    # the old way: orjson cannot write those apart from null (see _body_hash).
    fingerprint = _legacy_body_hash if check_numbers else _body_hash
    return [Ready(fingerprint(raw), _prepare(db, raw, now, skew, memo, check_numbers)) for raw in mutations]


def last_mutation_id(tx: Tx) -> int:
    return tx.execute("SELECT last_mutation_id FROM devices WHERE id = ?", (tx.actor.device_id,)).fetchone()[0]


def _restore_floor(tx: Tx) -> int | None:
    return tx.execute("SELECT restore_floor FROM devices WHERE id = ?", (tx.actor.device_id,)).fetchone()[0]


def apply(tx: Tx, mutations: list[dict], prepared: list, waits: bool = False) -> list[dict]:
    """Apply prepared mutations of ``tx.actor``'s device inside ``tx``, exactly once; one
    result per mutation, in order. Every door (a device's push, a Collect submission) ends
    here, so each has the same ledger, conflicts, merges and dedup. ``waits``: the client
    understands ``deferred`` (see ``_may_wait``)."""
    last_applied, floor = last_mutation_id(tx), _restore_floor(tx)
    ledger = _ledger_rows(tx, mutations)
    results, answered = [], []
    for raw, ready in zip(mutations, prepared, strict=True):
        results.append(_one(tx, raw, ready, ledger.get(raw["mutation_id"]), last_applied, floor, waits))
        if results[-1]["status"] not in ("duplicate", "deferred"):
            last_applied = max(last_applied, raw["mutation_id"])
            answered.append(raw["mutation_id"])
    tx.execute("UPDATE devices SET last_mutation_id = ?, last_seen_at = ? WHERE id = ?",
               (last_applied, tx.at, tx.actor.device_id))
    durability.acknowledged(tx, tx.actor.device_id, answered)
    return results


def push(db, actor: Actor, mutations: list[dict], now: datetime, skew_seconds: int, waits: bool = False,
         check_numbers: bool = True) -> list[dict]:
    """Apply a device's batch in one transaction; returns one result per mutation, in order."""
    prepared = prepare(db, mutations, now, skew_seconds, check_numbers)
    with write(db, now, actor) as tx:
        return apply(tx, mutations, prepared, waits)
