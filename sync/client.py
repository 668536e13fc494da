"""The reference device client: what a phone does, in a small library.

A device keeps a local SQLite file with its outbox of mutations, its pull cursor, local
copies of the units in its scope, its own visits, the redirects it has learnt, and the
reference data. :meth:`Device.sync` pushes until the outbox is empty, then pulls until
the server has nothing more, saving each page and its cursor in one local transaction.

Tests, benchmarks, load tests and the ``fieldsync device`` commands all use it as "a phone".
It speaks HTTP through a *transport*, so a test can also lose responses on purpose.
"""

import base64
import contextlib
import gzip
import hashlib
import http.client
import json
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime

from sync.clock import iso
from sync.ids import new_id

BATCH_SIZE = 100
# Pull page keys that are not reference data; every other list in a page is.
_SERVER_STATE_KEYS = {"units", "visits", "redirects"}
UNIT_KEYS = ("name", "national_id", "license_no", "province_id", "city_id", "park_id", "address",
             "phone", "location", "owner", "activity", "status", "employees")


class TransportError(Exception):
    """The request may or may not have reached the server; retrying is safe."""


class ServerError(Exception):
    """The server answered with an error envelope."""

    def __init__(self, status: int, body: dict):
        error = (body or {}).get("error", {})
        super().__init__(f"{status} {error.get('code')}: {error.get('message')}")
        self.status = status
        self.code = error.get("code")
        self.body = body


class NeedsLogin(Exception):
    """The device has no valid tokens: its user must log in again."""


class HttpTransport:
    """JSON over HTTP with gzip both ways, using only the standard library."""

    def __init__(self, base_url: str, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, path: str, *, body=None, params=None, token=None) -> tuple[int, dict]:
        url = self.base_url + path
        if params:
            url += "?" + urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        headers = {"Accept": "application/json", "Accept-Encoding": "gzip"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
            if len(data) > 2048:
                data = gzip.compress(data, 5)
                headers["Content-Encoding"] = "gzip"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self._open(urllib.request.Request(url, data=data, method=method, headers=headers))

    def request_bytes(self, method: str, path: str, *, data: bytes, headers=None, token=None) -> tuple[int, dict]:
        """Send raw bytes (an attachment chunk) with the given headers; the answer is JSON."""
        headers = {"Accept": "application/json", "Content-Type": "application/octet-stream", **(headers or {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self._open(urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers))

    def _open(self, req) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                return response.status, _read_json(response)
        except urllib.error.HTTPError as error:
            try:
                return error.code, _read_json(error)
            except _BROKEN_ANSWER:
                return error.code, {}
        except (urllib.error.URLError, *_BROKEN_ANSWER) as error:
            raise TransportError(str(error)) from error


# An answer cut short — the server died mid-body (IncompleteRead), a truncated gzip stream
# (EOFError), half a JSON document (ValueError) — is a lost answer: the request may or may not
# have been applied, and resending it is safe.
_BROKEN_ANSWER = (OSError, ValueError, EOFError, http.client.HTTPException)


def _read_json(response) -> dict:
    raw = response.read()
    if response.headers.get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return json.loads(raw) if raw else {}


def _smaller_batch(error: ServerError, sent: int) -> int | None:
    """How many mutations to send after a 413, or None if splitting cannot help. Nothing was
    written, and each mutation is recognised on its own, so the same mutations in smaller
    batches (in the same order) are as good as the batch refused."""
    if error.status != 413 or sent <= 1:
        return None
    limit = (error.body or {}).get("error", {}).get("details", {}).get("max_mutations")
    if error.code == "batch_too_large" and isinstance(limit, int) and 0 < limit < sent:
        return limit
    return sent // 2


def _merged_create(mutation: dict, unit_id: str) -> bool:
    """A queued create_unit whose unit the server has merged into ``unit_id`` (a redirect
    came back for it): its fields are not edits of the survivor (the answer to a push may
    have been lost, so the mutation is still queued when the pull brings the merge)."""
    return mutation["type"] == "create_unit" and mutation["unit_id"] != unit_id


_LOCAL_SCHEMA = """
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS outbox (
    mutation_id INTEGER PRIMARY KEY, type TEXT NOT NULL, body TEXT NOT NULL, sent INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS units (
    id TEXT PRIMARY KEY, data TEXT NOT NULL, pending INTEGER DEFAULT 0, server TEXT);
CREATE TABLE IF NOT EXISTS visits (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS redirects (from_id TEXT PRIMARY KEY, to_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reference (kind TEXT, id, data TEXT, PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS rejected (mutation_id INTEGER PRIMARY KEY, body TEXT, error TEXT);
CREATE TABLE IF NOT EXISTS acked (mutation_id INTEGER PRIMARY KEY, status TEXT, result TEXT, body TEXT);
CREATE TABLE IF NOT EXISTS uploads (
    sha256 TEXT PRIMARY KEY, path TEXT NOT NULL, size INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending', error TEXT, started INTEGER NOT NULL DEFAULT 0);
"""


class Device:
    """One engineer's phone: local store, outbox and sync rounds."""

    def __init__(self, path: str, transport=None, clock=None):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.executescript(_LOCAL_SCHEMA)
        self._upgrade_local_schema()
        self.transport = transport
        self.clock = clock or (lambda: datetime.now(UTC))
        if self._get("device_id") is None:
            self._set("device_id", str(uuid.uuid4()))
            self._set("next_mutation_id", "1")

    # --- local state ----------------------------------------------------------------

    def _upgrade_local_schema(self) -> None:
        # Device files outlive client versions: add what newer versions keep.
        columns = {row[1] for row in self.conn.execute("PRAGMA table_info(uploads)")}
        if "started" not in columns:
            with self._local_tx():  # files queued by an older client may be part-sent: ask first
                self.conn.execute("ALTER TABLE uploads ADD COLUMN started INTEGER NOT NULL DEFAULT 0")
                self.conn.execute("UPDATE uploads SET started = 1")
        if "server" not in {row[1] for row in self.conn.execute("PRAGMA table_info(units)")}:
            with self._local_tx():  # the best server copy an older file has is what it shows
                self.conn.execute("ALTER TABLE units ADD COLUMN server TEXT")
                self.conn.execute("UPDATE units SET server = data")
        acked = {row[1] for row in self.conn.execute("PRAGMA table_info(acked)")}
        if "body" not in acked:
            self.conn.execute("ALTER TABLE acked ADD COLUMN body TEXT")
        if "store_id" not in acked:  # which store acknowledged it, and whether it is durable there (§7)
            self.conn.execute("ALTER TABLE acked ADD COLUMN store_id TEXT")
            self.conn.execute("ALTER TABLE acked ADD COLUMN durable INTEGER NOT NULL DEFAULT 0")
        if "resent" not in {row[1] for row in self.conn.execute("PRAGMA table_info(outbox)")}:
            self.conn.execute("ALTER TABLE outbox ADD COLUMN resent INTEGER NOT NULL DEFAULT 0")
            self.conn.execute("ALTER TABLE acked ADD COLUMN resent INTEGER NOT NULL DEFAULT 0")
        if "durable" not in {row[1] for row in self.conn.execute("PRAGMA table_info(uploads)")}:
            self.conn.execute("ALTER TABLE uploads ADD COLUMN durable INTEGER NOT NULL DEFAULT 0")

    def _get(self, key: str):
        row = self.conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set(self, key: str, value) -> None:
        self.conn.execute("INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE"
                          " SET value = excluded.value", (key, None if value is None else str(value)))

    @contextlib.contextmanager
    def _local_tx(self):
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @property
    def device_id(self) -> str:
        return self._get("device_id")

    @property
    def cursor(self) -> str | None:
        return self._get("cursor")

    def close(self) -> None:
        self.conn.close()

    # --- recording offline ----------------------------------------------------------

    def _enqueue(self, type_: str, body: dict) -> int:
        mutation_id = int(self._get("next_mutation_id"))
        body = {"mutation_id": mutation_id, "type": type_, "observed_at": iso(self.clock()), **body}
        self.conn.execute("INSERT INTO outbox (mutation_id, type, body) VALUES (?, ?, ?)",
                          (mutation_id, type_, json.dumps(body, ensure_ascii=False)))
        self._set("next_mutation_id", mutation_id + 1)
        return mutation_id

    def create_unit(self, fields: dict, unit_id: str | None = None) -> str:
        unit_id = unit_id or new_id()
        with self._local_tx():
            self._enqueue("create_unit", {"unit_id": unit_id, "fields": fields})
            self.conn.execute("INSERT INTO units (id, data, pending) VALUES (?, ?, 1)",
                              (unit_id, json.dumps({"id": unit_id, **fields}, ensure_ascii=False)))
        return unit_id

    def update_unit(self, unit_id: str, fields: dict) -> int:
        with self._local_tx():
            unit_id = self._redirected(unit_id)
            unit = self.unit(unit_id)
            base_seq = unit.get("seq") if unit else None
            mutation_id = self._enqueue("update_unit", {"unit_id": unit_id, "base_seq": base_seq,
                                                        "fields": fields})
            if unit is not None:
                self.conn.execute("UPDATE units SET data = ?, pending = 1 WHERE id = ?",
                                  (json.dumps({**unit, **fields}, ensure_ascii=False), unit_id))
        return mutation_id

    @staticmethod
    def _visit_content(answers, obstacles, template, location, attachments) -> dict:
        # Obstacles get their id here, offline, so that a later visit or a revision can name them.
        content = {"answers": answers, "attachments": list(attachments),
                   "obstacles": [o if o.get("obstacle_id") else {**o, "obstacle_id": new_id()}
                                 for o in obstacles]}
        if template:
            content["template"] = template
        if location:
            content["location"] = location
        return content

    def record_visit(self, unit_id: str, answers: dict, obstacles=(), template=None, location=None,
                     attachments=(), visit_id: str | None = None) -> str:
        visit_id = visit_id or new_id()
        with self._local_tx():
            unit_id = self._redirected(unit_id)
            content = self._visit_content(answers, obstacles, template, location, attachments)
            self._enqueue("create_visit", {"visit_id": visit_id, "unit_id": unit_id, **content})
            self.conn.execute("INSERT INTO visits (id, data) VALUES (?, ?)", (visit_id, json.dumps(
                {"id": visit_id, "unit_id": unit_id, "review_state": None, "version": None,
                 "content": content}, ensure_ascii=False)))
        return visit_id

    def revise_visit(self, visit_id: str, answers: dict, obstacles=None, template=None, location=None,
                     attachments=None, comment: str | None = None) -> int:
        """Queue the fix of a visit sent back for revision (its full new content).

        Omitted parts keep what the visit had (obstacles keep their ids); the base version
        is the one last pulled, so pull the returned visit first.
        """
        with self._local_tx():
            visit = self.visits().get(visit_id)
            if not visit or not visit.get("version"):
                raise ValueError(f"Visit {visit_id} is not known at a server version here; pull first.")
            old = visit.get("content") or {}
            content = self._visit_content(
                answers, old.get("obstacles", []) if obstacles is None else obstacles,
                template or old.get("template") or visit.get("template"), location or old.get("location"),
                old.get("attachments", []) if attachments is None else attachments)
            body = {"visit_id": visit_id, "base_version": visit["version"], **content}
            if comment:
                body["comment"] = comment
            mutation_id = self._enqueue("revise_visit", body)
            self.conn.execute("UPDATE visits SET data = ? WHERE id = ?",
                              (json.dumps({**visit, "content": content}, ensure_ascii=False), visit_id))
        return mutation_id

    def attach(self, path: str) -> str:
        """Queue a photo or PDF for upload; returns its SHA-256, to list in a visit."""
        digest = hashlib.sha256()
        with open(path, "rb") as source:
            for block in iter(lambda: source.read(1 << 20), b""):
                digest.update(block)
            size = source.tell()
        sha = digest.hexdigest()
        self.conn.execute("INSERT OR IGNORE INTO uploads (sha256, path, size) VALUES (?, ?, ?)",
                          (sha, str(path), size))
        return sha

    # --- reading local state --------------------------------------------------------

    def unit(self, unit_id: str) -> dict | None:
        row = self.conn.execute("SELECT data FROM units WHERE id = ?", (unit_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def units(self) -> dict[str, dict]:
        return {r[0]: json.loads(r[1]) for r in self.conn.execute("SELECT id, data FROM units ORDER BY id")}

    def visits(self) -> dict[str, dict]:
        return {r[0]: json.loads(r[1]) for r in self.conn.execute("SELECT id, data FROM visits ORDER BY id")}

    def redirects(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT from_id, to_id FROM redirects"))

    def outbox_size(self) -> int:
        return self.conn.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def rejected(self) -> list[dict]:
        return [{"mutation_id": r[0], "mutation": json.loads(r[1]), "error": json.loads(r[2])}
                for r in self.conn.execute("SELECT * FROM rejected ORDER BY mutation_id")]

    def acked(self) -> dict[int, dict]:
        """Every mutation the server has acknowledged, with its answer."""
        return {r[0]: json.loads(r[1]) for r in self.conn.execute("SELECT mutation_id, result FROM acked")}

    def kept(self) -> dict[int, dict]:
        """Acknowledged mutations whose bodies are still kept: not yet durable on the server,
        or not yet reflected by a pull (§7). What a restore could have lost is among them."""
        return {r[0]: json.loads(r[1]) for r in self.conn.execute(
            "SELECT mutation_id, body FROM acked WHERE body IS NOT NULL ORDER BY mutation_id")}

    def uploads(self) -> dict[str, dict]:
        """Queued files by SHA-256: path, size, state (pending, done, failed), error, and
        ``durable``: the server can no longer lose it, so the file may be deleted here."""
        return {r[0]: {"path": r[1], "size": r[2], "state": r[3], "error": json.loads(r[4]) if r[4] else None,
                       "durable": bool(r[5])}
                for r in self.conn.execute("SELECT sha256, path, size, state, error, durable FROM uploads")}

    def reference(self, kind: str) -> list[dict]:
        return [json.loads(r[0]) for r in self.conn.execute(
            "SELECT data FROM reference WHERE kind = ? ORDER BY id", (kind,))]

    def _redirected(self, unit_id: str) -> str:
        seen = set()
        while unit_id not in seen:
            seen.add(unit_id)
            row = self.conn.execute("SELECT to_id FROM redirects WHERE from_id = ?", (unit_id,)).fetchone()
            if row is None:
                return unit_id
            unit_id = row[0]
        return unit_id

    # --- talking to the server ------------------------------------------------------

    def _authorised(self, send) -> tuple[int, dict]:
        """``send(token)`` with the access token, refreshing it once if it has expired."""
        status, answer = send(self._get("access_token"))
        if status == 401 and answer.get("error", {}).get("code") == "token_expired":
            self.refresh()
            status, answer = send(self._get("access_token"))
        return status, answer

    def _call(self, method: str, path: str, *, body=None, params=None, auth=True) -> dict:
        def send(token):
            return self.transport.request(method, path, body=body, params=params, token=token)

        status, answer = self._authorised(send) if auth else send(None)
        if status == 401 and auth:
            # token_revoked (a revoked device, a deactivated user, a new password) or a token
            # the server no longer takes: only a new login helps; the outbox is kept.
            raise NeedsLogin(answer.get("error", {}).get("message", "Log in again."))
        if status >= 400:
            raise ServerError(status, answer)
        return answer

    def login(self, username: str, password: str, label: str = "") -> dict:
        answer = self._call("POST", "/api/v1/auth/login", auth=False, body={
            "username": username, "password": password, "device_id": self.device_id,
            "device_label": label})
        with self._local_tx():
            self._set("access_token", answer["access_token"])
            self._set("refresh_token", answer["refresh_token"])
            self._set("user", json.dumps(answer["user"]))
        return answer["user"]

    def reregister(self) -> str:
        """Become a new device (after this one was revoked), keeping the outbox: a new device
        id, the counter back at 1, every mutation still in the outbox renumbered in order and
        marked unsent, the tokens dropped. Log in next; the outbox then goes as it is. What
        already reached the server under the old id is recognised where it can be (a visit
        by its id, an edit that sets what is there) or rejected ``conflict`` (a unit id
        already used: the unit comes back with the next pull). Returns the new device id."""
        with self._local_tx():
            rows = self.conn.execute("SELECT mutation_id, body FROM outbox ORDER BY mutation_id").fetchall()
            self.conn.execute("DELETE FROM outbox")
            for number, (_, body) in enumerate(rows, start=1):
                mutation = {**json.loads(body), "mutation_id": number}
                self.conn.execute("INSERT INTO outbox (mutation_id, type, body, sent) VALUES (?, ?, ?, 0)",
                                  (number, mutation["type"], json.dumps(mutation, ensure_ascii=False)))
            self._set("device_id", str(uuid.uuid4()))
            self._set("next_mutation_id", len(rows) + 1)
            for key in ("access_token", "refresh_token"):
                self._set(key, None)
        return self.device_id

    def refresh(self) -> None:
        token = self._get("refresh_token")
        if not token:
            raise NeedsLogin("This device has never logged in.")
        status, answer = self.transport.request("POST", "/api/v1/auth/refresh", token=token)
        if status == 401:
            raise NeedsLogin(answer.get("error", {}).get("message", "Log in again."))
        if status >= 400:
            raise ServerError(status, answer)
        with self._local_tx():
            self._set("access_token", answer["access_token"])
            self._set("refresh_token", answer.get("refresh_token") or token)  # older servers sent none

    def push(self) -> list[dict]:
        """Send the outbox in order, batch by batch, until it is empty; returns all results."""
        results = []
        size, replaced, after = BATCH_SIZE, False, 0
        while True:
            # ``after``: past the mutations answered ``deferred`` in this round; they stay queued
            # and go again at the next push (§7).
            rows = self.conn.execute("SELECT mutation_id, body, resent FROM outbox WHERE mutation_id > ?"
                                     " ORDER BY mutation_id LIMIT ?", (after, size)).fetchall()
            if not rows:
                return results
            self.conn.execute(f"UPDATE outbox SET sent = 1 WHERE mutation_id <= {int(rows[-1][0])}")
            try:
                answer = self._call("POST", "/api/v1/sync/push",
                                    body={"mutations": [json.loads(body) for _, body, _ in rows],
                                          "store_id": self._get("store_id")})
            except ServerError as error:
                if error.code == "store_replaced" and not replaced:
                    replaced = True  # once: the pull's reset brings back what the new store lacks
                    self.pull()
                    continue
                size = _smaller_batch(error, len(rows))
                if size is None:
                    raise
                continue
            durable = answer.get("durable") or {}
            with self._local_tx():
                for (_, body, resent), result in zip(rows, answer["results"], strict=True):
                    if result["status"] != "deferred":
                        self._settle(json.loads(body), result, durable.get("store_id"), bool(resent))
                self._learn_durable(durable)
            after = rows[-1][0]
            results.extend(answer["results"])

    def _settle(self, mutation: dict, result: dict, store: str | None, resent: bool = False) -> None:
        """Record the server's answer to one mutation and drop it from the outbox; its body is
        kept until the store that answered says it is durable (§7)."""
        self.conn.execute("DELETE FROM outbox WHERE mutation_id = ?", (mutation["mutation_id"],))
        self.conn.execute("INSERT OR REPLACE INTO acked (mutation_id, status, result, body, store_id, durable, resent)"
                          " VALUES (?, ?, ?, ?, ?, 0, ?)",
                          (mutation["mutation_id"], result["status"], json.dumps(result, ensure_ascii=False),
                           json.dumps(mutation, ensure_ascii=False), store, int(resent)))
        status = result.get("first_status", result["status"])
        if status == "rejected":
            self.conn.execute("INSERT OR REPLACE INTO rejected (mutation_id, body, error) VALUES (?, ?, ?)",
                              (mutation["mutation_id"], json.dumps(mutation, ensure_ascii=False),
                               json.dumps(result.get("error"), ensure_ascii=False)))
            self._undo_locally(mutation)
            return
        named = mutation.get("unit_id")
        landed = result.get("unit_id")
        if named and landed and named != landed:
            self._learn_redirect(named, landed)
        self._keep_theirs(result)

    def _keep_theirs(self, result: dict) -> None:
        """A field whose conflict kept the other device's value shows that value here: the
        edit was shown locally when it was recorded (or put back on a pulled copy while it
        waited), and no pull may come to correct it — the server's unit did not change."""
        lost = {c["field"]: c["theirs"] for c in result.get("conflicts", []) if c.get("kept") == "theirs"}
        if not lost or not result.get("unit_id"):
            return
        unit_id = self._redirected(result["unit_id"])
        if result["status"] == "duplicate":
            # The answer is the one first given: its "theirs" may have been replaced since.
            # The last server copy, with what is still this device's own on top, is right.
            self._rebuild_unit(unit_id)
            return
        unit = self.unit(unit_id)
        if unit is not None:
            self.conn.execute("UPDATE units SET data = ? WHERE id = ?",
                              (json.dumps({**unit, **lost}, ensure_ascii=False), unit_id))

    def _undo_locally(self, mutation: dict) -> None:
        """Take a rejected mutation out of the local copies: the server never applied it, and
        no later pull would correct a copy the server has no reason to send again."""
        if mutation["type"] in ("create_unit", "update_unit"):
            self._rebuild_unit(self._redirected(mutation["unit_id"]))
        elif mutation["type"] == "create_visit":
            self.conn.execute("DELETE FROM visits WHERE id = ? AND json_extract(data, '$.version') IS NULL",
                              (mutation["visit_id"],))

    def _rebuild_unit(self, unit_id: str) -> None:
        """A unit's local copy as the last server copy with this device's edits the server has
        not sent back yet (acknowledged since the last complete pull, or still queued) on top;
        no copy at all when neither the server nor an accepted create_unit vouches for it.
        Mutations sent again after a store replacement are no edits on top: the copy pulled
        from the new store may be newer than they are (only a unit's creation counts, while
        the store has no copy of it yet)."""
        row = self.conn.execute("SELECT server FROM units WHERE id = ?", (unit_id,)).fetchone()
        unit = json.loads(row[0]) if row and row[0] else None
        reflected = int(self._get("reflected_mutation_id") or 0)
        edits = []
        for mutation_id, body, result in self.conn.execute(
                "SELECT mutation_id, body, result FROM acked WHERE mutation_id > ? AND body IS NOT NULL"
                + ("" if unit is None else " AND resent = 0"), (reflected,)).fetchall():
            result = json.loads(result)
            mutation = json.loads(body)
            # A create_unit that landed on another unit was merged into it: the merge, not its
            # fields, decides what that unit holds, and the next pull brings the outcome.
            landed = result.get("unit_id") == unit_id and (
                mutation["type"] == "update_unit" or mutation.get("unit_id") == unit_id)
            if landed and result.get("first_status", result["status"]) != "rejected":
                # A field whose conflict kept the other value did not take: the server copy
                # already says what stands, and no pull will send the unit again for it.
                lost = {c["field"] for c in result.get("conflicts", []) if c.get("kept") == "theirs"}
                fields = {k: v for k, v in mutation.get("fields", {}).items() if k not in lost}
                if fields or mutation["type"] == "create_unit":
                    edits.append((mutation_id, {**mutation, "fields": fields}))
        for mutation_id, body in self.conn.execute(
                "SELECT mutation_id, body FROM outbox" + ("" if unit is None else " WHERE resent = 0")).fetchall():
            mutation = json.loads(body)
            if mutation.get("unit_id") and self._redirected(mutation["unit_id"]) == unit_id \
                    and not _merged_create(mutation, unit_id):
                edits.append((mutation_id, mutation))
        for _, mutation in sorted(edits, key=lambda e: e[0]):
            if mutation["type"] == "create_unit" and unit is None:
                unit = {"id": unit_id, **mutation["fields"]}
            elif mutation["type"] in ("create_unit", "update_unit") and unit is not None:
                unit = {**unit, **mutation["fields"]}
        if unit is None:
            self.conn.execute("DELETE FROM units WHERE id = ?", (unit_id,))
        else:
            self.conn.execute("UPDATE units SET data = ?, pending = ? WHERE id = ?",
                              (json.dumps(unit, ensure_ascii=False), int(bool(edits)), unit_id))

    def _learn_redirect(self, from_id: str, to_id: str | None) -> None:
        if to_id is None:
            self.conn.execute("DELETE FROM redirects WHERE from_id = ?", (from_id,))
            return
        self.conn.execute("INSERT OR REPLACE INTO redirects (from_id, to_id) VALUES (?, ?)", (from_id, to_id))
        self.conn.execute("UPDATE redirects SET to_id = ? WHERE to_id = ?", (to_id, from_id))
        self.conn.execute("DELETE FROM units WHERE id = ?", (from_id,))
        for visit_id, data in self.conn.execute("SELECT id, data FROM visits").fetchall():
            visit = json.loads(data)
            if visit.get("unit_id") == from_id:
                visit["unit_id"] = to_id
                self.conn.execute("UPDATE visits SET data = ? WHERE id = ?", (json.dumps(visit), visit_id))
        # Queued mutations not yet sent follow the redirect; sent ones must stay byte-identical
        # so that a retry is recognised (the server redirects those itself).
        for mutation_id, body in self.conn.execute(
                "SELECT mutation_id, body FROM outbox WHERE sent = 0").fetchall():
            mutation = json.loads(body)
            if mutation.get("unit_id") == from_id:
                mutation["unit_id"] = to_id
                self.conn.execute("UPDATE outbox SET body = ? WHERE mutation_id = ?",
                                  (json.dumps(mutation, ensure_ascii=False), mutation_id))

    def _learn_durable(self, durable: dict) -> None:
        """The store ``durable["store_id"]`` can no longer lose what it acknowledged up to
        ``durable["mutation_id"]``: those bodies are needed no more once a pull reflected them.
        Answers another store gave are not covered (a restored store is another store)."""
        if not durable.get("store_id"):
            return
        self._set("store_id", durable["store_id"])
        self.conn.execute("UPDATE acked SET durable = 1 WHERE durable = 0 AND store_id = ? AND mutation_id <= ?",
                          (durable["store_id"], durable["mutation_id"]))
        self._drop_needless_bodies()

    def _drop_needless_bodies(self) -> None:
        reflected = int(self._get("reflected_mutation_id") or 0)
        self.conn.execute("UPDATE acked SET body = NULL WHERE body IS NOT NULL AND durable = 1 AND mutation_id <= ?",
                          (reflected,))

    def _send_again(self, store: str | None) -> None:
        """After ``store_replaced``: whatever another store acknowledged and never said was
        durable may be missing from this one. Back to the outbox, byte for byte (marked
        sent, so never rewritten): the new store answers ``duplicate`` for what it has and
        applies the rest (§7)."""
        for mutation_id, kind, body in self.conn.execute(
                "SELECT mutation_id, json_extract(body, '$.type'), body FROM acked"
                " WHERE body IS NOT NULL AND durable = 0 AND (store_id IS NULL OR store_id IS NOT ?)",
                (store,)).fetchall():
            self.conn.execute("INSERT OR IGNORE INTO outbox (mutation_id, type, body, sent, resent)"
                              " VALUES (?, ?, ?, 1, 1)", (mutation_id, kind, body))
            self.conn.execute("DELETE FROM acked WHERE mutation_id = ?", (mutation_id,))
        self._set("sending_again", "1")
        # Files too: the new store may not list those never said durable; ask, and resend.
        self.conn.execute("UPDATE uploads SET state = 'pending', started = 1 WHERE state = 'done' AND durable = 0")

    def pull(self, limit: int | None = None) -> int:
        """Fetch pages until the server has no more; returns the number of pages applied."""
        pages = 0
        while True:
            page = self._call("GET", "/api/v1/sync/pull", params={"cursor": self.cursor, "limit": limit})
            durable = page.get("durable") or {}
            with self._local_tx():
                if page["reset"]:
                    if page.get("reset_reason") == "store_replaced":
                        self._send_again(durable.get("store_id"))
                    self._reset()
                else:
                    self._apply_page(page)
                self._set("cursor", page["cursor"])
                if not page["has_more"]:
                    # Everything acknowledged so far is in what was just pulled: its bodies
                    # are no longer needed to rebuild a unit (see _rebuild_unit), only to send
                    # again if the store loses them before they are durable.
                    self._reflect_acknowledged()
                self._learn_durable(durable)
            pages += 1
            if not page["has_more"]:
                return pages

    def _reflect_acknowledged(self) -> None:
        """After a complete pull every acknowledged mutation is in the server copies: the units
        they touched are rebuilt on those copies, with only what is still queued on top. A
        mutation whose answer came late (a lost answer, then ``duplicate``) was laid on a copy
        that already held it — and, for a unit merged meanwhile, held the merge's outcome —
        and no pull would send that unit again to set it right."""
        before = int(self._get("reflected_mutation_id") or 0)
        reflected = self.conn.execute("SELECT coalesce(max(mutation_id), 0) FROM acked").fetchone()[0]
        self._set("reflected_mutation_id", reflected)
        touched = set()
        for body, result in self.conn.execute("SELECT body, result FROM acked WHERE mutation_id > ?"
                                              " AND body IS NOT NULL", (before,)).fetchall():
            mutation, answer = json.loads(body), json.loads(result)
            if mutation["type"] in ("create_unit", "update_unit"):
                touched.update(u for u in (mutation.get("unit_id"), answer.get("unit_id")) if u)
        for unit_id in sorted(touched):
            self._rebuild_unit(self._redirected(unit_id))

    def _reset(self) -> None:
        """Forget server copies; the next pages bring the (new) scope from the start."""
        self.conn.execute("DELETE FROM units WHERE pending = 0")
        # What is left are local edits; their server copies may no longer be in scope.
        self.conn.execute("UPDATE units SET server = NULL")
        self.conn.execute("DELETE FROM reference")
        self.conn.execute("DELETE FROM redirects")

    def _apply_page(self, page: dict) -> None:
        for kind, rows in page.items():
            if kind in _SERVER_STATE_KEYS or not isinstance(rows, list):
                continue
            for row in rows:  # reference data of any kind: provinces, parks, templates…
                if row.get("removed"):  # e.g. an obstacle whose only visit was rejected
                    self.conn.execute("DELETE FROM reference WHERE kind = ? AND id = ?", (kind, row["id"]))
                    continue
                self.conn.execute("INSERT OR REPLACE INTO reference (kind, id, data) VALUES (?, ?, ?)",
                                  (kind, row["id"], json.dumps(row, ensure_ascii=False)))
        for redirect in page["redirects"]:
            self._learn_redirect(redirect["from"], redirect["to"])
        for unit in page["units"]:
            if unit.get("removed") or unit.get("merged_into"):
                self.conn.execute("DELETE FROM units WHERE id = ?", (unit["id"],))
                if unit.get("merged_into"):
                    self._learn_redirect(unit["id"], unit["merged_into"])
            else:
                text = json.dumps(unit, ensure_ascii=False)
                self.conn.execute("INSERT OR REPLACE INTO units (id, data, pending, server) VALUES (?, ?, 0, ?)",
                                  (unit["id"], text, text))
        for outcome in page["visits"]:
            row = self.conn.execute("SELECT data FROM visits WHERE id = ?", (outcome["id"],)).fetchone()
            visit = {**(json.loads(row[0]) if row else {}), **outcome}
            self.conn.execute("INSERT OR REPLACE INTO visits (id, data) VALUES (?, ?)",
                              (outcome["id"], json.dumps(visit, ensure_ascii=False)))
        self._rebase_pending()

    def _rebase_pending(self) -> None:
        """Re-apply edits still in the outbox on top of the server copies just pulled. Not
        those sent again after a store replacement: they were shown before, and the new store
        either has them already (its copies show them), or applies them and sends the unit
        back, or keeps another device's later value — an overlay would hide which."""
        for (body,) in self.conn.execute(
                "SELECT body FROM outbox WHERE type IN ('create_unit', 'update_unit') AND resent = 0"
                " ORDER BY mutation_id").fetchall():
            mutation = json.loads(body)
            unit_id = self._redirected(mutation["unit_id"])
            if _merged_create(mutation, unit_id):
                continue  # the merge decides what the survivor holds; the pull brought it
            current = self.unit(unit_id) or {"id": unit_id}
            self.conn.execute("INSERT INTO units (id, data, pending) VALUES (?, ?, 1) ON CONFLICT(id)"
                              " DO UPDATE SET data = excluded.data, pending = 1",
                              (unit_id, json.dumps({**current, **mutation["fields"]}, ensure_ascii=False)))

    # --- attachments ------------------------------------------------------------------

    # Large chunks: every request costs the server more than the bytes in it (profiled in
    # docs/benchmarks.md, Load); the server takes up to MAX_REQUEST_BYTES per chunk.
    UPLOAD_CHUNK_BYTES = 1024 * 1024
    _FINAL = (413, 415)  # the server will never take this file: too large, not a photo or PDF

    def upload_attachments(self) -> dict:
        """Upload queued files, resuming where the server stopped; returns counts by state.

        Never raises for the network: a file that cannot be sent now stays pending for the
        next round, so photos never hold up data sync.
        """
        if not hasattr(self.transport, "request_bytes"):
            return self._upload_counts()  # a transport without raw bytes (a test double)
        for sha, path, size in self.conn.execute(
                "SELECT sha256, path, size FROM uploads WHERE state = 'pending' ORDER BY rowid").fetchall():
            try:
                durable = self._upload(sha, path, size)
                self.conn.execute("UPDATE uploads SET state = 'done', error = NULL, durable = ? WHERE sha256 = ?",
                                  (int(durable), sha))
            except (TransportError, NeedsLogin):
                break
            except ServerError as error:
                if error.status >= 500:
                    break
                self._upload_failed(sha, (error.body or {}).get("error") or {"message": str(error)},
                                    final=error.status in self._FINAL)
            except OSError as error:  # the file is gone or unreadable on the device
                self._upload_failed(sha, {"code": "file_unreadable", "message": str(error)}, final=True)
        self._check_durable_uploads()
        return self._upload_counts()

    def _check_durable_uploads(self) -> None:
        """Ask about files sent but not yet durable: the device keeps each until the server
        can no longer lose it; one the server has lost (a restore) goes again."""
        for (sha,) in self.conn.execute("SELECT sha256 FROM uploads WHERE state = 'done' AND durable = 0").fetchall():
            try:
                status = self._call("GET", f"/api/v1/attachments/{sha}/status")
            except (TransportError, NeedsLogin, ServerError):
                return
            if status.get("durable"):
                self.conn.execute("UPDATE uploads SET durable = 1 WHERE sha256 = ?", (sha,))
            elif not status.get("complete"):
                self.conn.execute("UPDATE uploads SET state = 'pending', started = 1 WHERE sha256 = ?", (sha,))

    def _upload_failed(self, sha: str, error: dict, final: bool) -> None:
        self.conn.execute("UPDATE uploads SET state = ?, error = ? WHERE sha256 = ?",
                          ("failed" if final else "pending", json.dumps(error, ensure_ascii=False), sha))

    def _upload_counts(self) -> dict:
        counts = dict(self.conn.execute("SELECT state, count(*) FROM uploads GROUP BY state").fetchall())
        return {state: counts.get(state, 0) for state in ("pending", "done", "failed")}

    def _upload(self, sha: str, path: str, size: int, attempts: int = 3) -> bool:
        """Send the file from where the server stopped; returns whether it is durable."""
        url = f"/api/v1/attachments/{sha}"
        started = self.conn.execute("SELECT started FROM uploads WHERE sha256 = ?", (sha,)).fetchone()
        if started and started[0]:  # resuming: ask where the server stopped
            status = self._call("GET", f"{url}/status")
            offset = status["received"] if status.get("size") == size else 0
            if status["complete"]:
                return bool(status.get("durable"))  # nothing to read here: the file may be gone
        else:  # a fresh upload starts at 0; if the server is elsewhere, its 409 says where
            self.conn.execute("UPDATE uploads SET started = 1 WHERE sha256 = ?", (sha,))
            status, offset = {"complete": False}, 0
        with open(path, "rb") as source:
            while not status["complete"]:
                source.seek(offset)
                chunk = source.read(self.UPLOAD_CHUNK_BYTES)
                headers = {"Content-Range": f"bytes {offset}-{offset + len(chunk) - 1}/{size}",
                           "Content-Digest": "sha-256=:" + base64.b64encode(
                               hashlib.sha256(chunk).digest()).decode() + ":"}
                code, status = self._authorised(lambda token, c=chunk, h=headers: self.transport.request_bytes(
                    "PUT", url, data=c, headers=h, token=token))
                if code in (409, 422) and attempts > 0:  # out of step, or a chunk damaged on the way
                    attempts -= 1
                    offset = status.get("error", {}).get("details", {}).get("received", 0)
                    status = {"complete": False}
                    continue
                if code == 401:
                    raise NeedsLogin(status.get("error", {}).get("message", "Log in again."))
                if code >= 400:
                    raise ServerError(code, status)
                offset = status.get("received", size)
        return bool(status.get("durable"))

    def sync(self) -> dict:
        """One sync round: push everything, pull everything, then upload queued files."""
        results = self.push()
        pages = self.pull()
        if self._get("sending_again"):  # the pull found the store replaced: what it lacks goes now
            results += self.push()
        return {"pushed": len(results), "pages": pages,
                "statuses": sorted({r["status"] for r in results}), "uploads": self.upload_attachments()}
