"""Every setting fieldsync reads: one declarative list drives config, docs and a test.

A setting comes, in order of precedence, from ``create_app(config)``, from the
environment as ``FIELDSYNC_<NAME>``, or from its default here.
"""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str
    type: type = str


SETTINGS = [
    Setting("DATABASE", None,
            "Path of the SQLite database file. Default: `fieldsync.db` in the instance folder."),
    Setting("ATTACHMENTS_DIR", None,
            "Folder where uploaded photos and files are stored. Default: `attachments/` in the "
            "instance folder."),
    Setting("SECRET_KEY", None,
            "Key that signs tokens and console sessions. Default: a random key generated once "
            "and kept in `secret_key` in the instance folder."),
    Setting("ACCESS_TOKEN_MINUTES", 15, "Lifetime of an access token, in minutes.", int),
    Setting("REFRESH_TOKEN_DAYS", 60,
            "Lifetime of a refresh token, in days: how long a device may stay offline and still "
            "sync without its user typing the password again.", int),
    Setting("LOGIN_MAX_FAILURES", 5,
            "Failed logins allowed for one username from one client address within the window "
            "before that address is refused for that username (wrong passwords sent from "
            "elsewhere never lock the owner out). One address may fail four times as often "
            "across all usernames.", int),
    Setting("LOGIN_MAX_FAILURES_PER_ACCOUNT", 50,
            "Failed logins allowed for one username from all addresses together within the "
            "window (guessing from many addresses); gentler, as it can lock the owner out.", int),
    Setting("LOGIN_WINDOW_SECONDS", 900, "The login-throttling window, in seconds.", int),
    Setting("PASSWORD_HASH_TIME_COST", 3, "argon2id time cost (iterations) for password hashes.", int),
    Setting("PASSWORD_HASH_MEMORY_KIB", 65536, "argon2id memory cost, in KiB, for password hashes.", int),
    Setting("MAX_BATCH_MUTATIONS", 500, "Most mutations accepted in one push.", int),
    Setting("MAX_REQUEST_BYTES", 16 * 1024 * 1024,
            "Largest request body accepted, after decompression, in bytes.", int),
    Setting("MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024,
            "Largest photo or PDF accepted, in bytes (uploaded in chunks, each within "
            "MAX_REQUEST_BYTES).", int),
    Setting("PULL_PAGE_SIZE", 1000, "Changes per pull page when the device does not ask for fewer.", int),
    Setting("CLOCK_SKEW_SECONDS", 300,
            "How far in the future a device's observation time may be before it is clamped to "
            "the time the server received it.", int),
    Setting("CURSOR_MAX_AGE_DAYS", 120,
            "A pull cursor older than this makes the device reset and download its scope afresh.",
            int),
    Setting("TRUSTED_PROXIES", 0,
            "How many reverse proxies stand in front of the server. Their `X-Forwarded-For`, "
            "`-Proto`, `-Host` and `-Port` headers are then believed, so login throttling and the audit "
            "log see each client's own address, not the proxy's. Leave at 0 when clients connect "
            "directly: the headers could then be forged.", int),
    Setting("CONSOLE_SECURE_COOKIE", False,
            "Send the console's session cookie only over HTTPS (its `Secure` flag). Turn on whenever "
            "the console is served through TLS.", bool),
    Setting("PUBLIC_URL", None,
            "The server's address as phones reach it (e.g. `https://fieldsync.example.ir`), written into the "
            "Collect QR codes the console shows. Default: the address the console was opened at."),
    Setting("MAP_TILE_URL", None,
            "A tile server for the console's map, as a Leaflet URL template (e.g. "
            "`https://tiles.example.ir/{z}/{x}/{y}.png`). Unset: the map draws Iran's provinces from the "
            "outline shipped with fieldsync and needs no server at all; set, the browser also fetches "
            "tiles from that server (the page's content policy allows its origin for images)."),
    Setting("MAP_TILE_ATTRIBUTION", "",
            "The credit line the tile server's licence asks for, shown in a corner of the map."),
    Setting("CONSOLE_SESSION_HOURS", 12,
            "How long a console login lasts, in hours, before the user must log in again.", int),
    Setting("REPLICA_URL", None,
            "Where Litestream replicates the store, continuously: `s3://bucket/path` (with the `S3_*` "
            "settings) or `file:///path` (a disk that outlives this machine, e.g. a network mount). "
            "`fieldsync serve` then runs Litestream beside gunicorn, and an acknowledgement is durable "
            "only once the replica holds it (docs/reliability.md). Unset: no replication."),
    Setting("REPLICA_SYNC_INTERVAL_SECONDS", 1.0,
            "How often Litestream ships the store's new pages to the replica, in seconds.", float),
    Setting("DURABLE_INTERVAL_SECONDS", 1.0,
            "How often the watermark job asks Litestream to confirm what the replica holds and tells "
            "devices so, in seconds: the least time a device keeps what it sent.", float),
    Setting("ATTACHMENTS_S3_BUCKET", None,
            "Keep photos and files in this S3 bucket instead of `ATTACHMENTS_DIR` (uploads in progress "
            "are still staged there). Unset: on the local disk."),
    Setting("ATTACHMENTS_S3_PREFIX", "attachments/",
            "Key prefix of the files in `ATTACHMENTS_S3_BUCKET`."),
    Setting("S3_ENDPOINT_URL", None,
            "The S3 API's address, for S3-compatible storage (MinIO, Ceph, ArvanCloud, …); unset for "
            "Amazon S3. Used by the replica and the attachments bucket."),
    Setting("S3_REGION", "us-east-1", "The S3 region."),
    Setting("S3_ACCESS_KEY_ID", None,
            "S3 access key. Unset: the standard AWS sources (`AWS_ACCESS_KEY_ID`, `~/.aws`, an instance role)."),
    Setting("S3_SECRET_ACCESS_KEY", None,
            "S3 secret key, with `S3_ACCESS_KEY_ID`. Give it in the environment, never in a file in the repo."),
    Setting("CHECKPOINT_INTERVAL_SECONDS", 1.0,
            "How often `fieldsync serve` copies the write-ahead log into the database from a thread of its "
            "own, in seconds, so that no request pays for a checkpoint inside its commit. 0: SQLite's "
            "automatic checkpoints, inside commits. Not used while Litestream replicates the store (it "
            "checkpoints).", float),
    Setting("CHECKPOINT_RESTART_MB", 256,
            "When the write-ahead log passes this size, in MiB, the checkpointer of `fieldsync serve` also "
            "takes a turn between two writes to have the log start again from its beginning (writers wait "
            "for that turn, at most 0.2 s for readers): under a steady stream of pushes the log otherwise "
            "grows for as long as the stream lasts. Each such turn holds writers back, longer the larger "
            "the store; the log on disk stays about this size. 0: never.", float),
    Setting("SQLITE_CACHE_MB", 64,
            "SQLite page cache per connection (one connection per server thread), in MiB.", int),
    Setting("BUSY_TIMEOUT_MS", 30000,
            "How long a write waits for the store's write lock before retrying.", int),
]

BY_NAME = {s.name: s for s in SETTINGS}


def _parse(setting: Setting, text: str):
    if setting.type is int:
        return int(text)
    if setting.type is float:
        return float(text)
    if setting.type is bool:
        return text.strip().lower() in ("1", "true", "yes", "on")
    return text


def resolve(overrides: dict | None = None, environ=os.environ) -> dict:
    """The value of every setting; unknown keys in ``overrides`` pass through untouched."""
    values = {}
    for setting in SETTINGS:
        text = environ.get(f"FIELDSYNC_{setting.name}")
        values[setting.name] = setting.default if text is None else _parse(setting, text)
    values.update(overrides or {})
    return values


def markdown_table() -> str:
    """The settings as a Markdown table, for docs/configuration.md."""
    lines = ["| Setting | Environment variable | Default | Meaning |", "| --- | --- | --- | --- |"]
    for s in SETTINGS:
        default = "—" if s.default is None else f"`{s.default}`"
        lines.append(f"| `{s.name}` | `FIELDSYNC_{s.name}` | {default} | {s.help} |")
    return "\n".join(lines)
