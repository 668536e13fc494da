"""The duplicates queue: candidate pairs side by side, merge or not-the-same.

The queue itself (candidate pairs, scores, decisions) belongs to the dedup engine; until
its module is present this page says so instead of failing.
"""

import importlib

from server.auth import STAFF
from server.console.web import bp, console_access, page

QUEUE_MODULES = ("sync.dedup_queue", "sync.dedup.queue")


def queue_module():
    """The dedup engine's queue module, or None while it is not installed."""
    for name in QUEUE_MODULES:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def pending_count(db, actor) -> int | None:
    return None if queue_module() is None else 0


@bp.route("/duplicates")
@console_access(*STAFF)
def duplicates():
    return page("console/duplicates.html", available=queue_module() is not None, pairs=[])
