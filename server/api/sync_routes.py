"""The sync protocol: push a batch of mutations, pull pages of changes."""

from flask import current_app, g, jsonify

from schemas.sync import PullQuerySchema, PullResponseSchema, PushRequestSchema, PushResponseSchema, results_dumped
from server.auth import access
from server.db import get_db, now
from server.requests import Blueprint, numbers_checked_per_item
from sync import durability, pull, push
from sync.clock import iso

bp = Blueprint("sync", __name__, url_prefix="/api/v1/sync", description="Device sync.")


@bp.route("/push", methods=["POST"])
@numbers_checked_per_item
@access()
@bp.arguments(PushRequestSchema)
@bp.response(200, PushResponseSchema)
def push_batch(body):
    """Apply a batch of mutations exactly once; one result per mutation, in order.

    See docs/sync-protocol.md. A retried batch returns the stored results and changes
    nothing. More than MAX_BATCH_MUTATIONS mutations: 413 with the limits. A ``store_id``
    that is no longer the server's: 409 ``store_replaced``, nothing written (pull first).
    """
    mutations = body["mutations"]
    push.check_store(get_db(), body["store_id"])
    push.check_batch(mutations, current_app.config["MAX_BATCH_MUTATIONS"])
    moment = now()
    # A client that names its store speaks §7, "deferred" included.
    results = push.push(get_db(), g.actor, mutations, moment, current_app.config["CLOCK_SKEW_SECONDS"],
                        waits=body["store_id"] is not None, check_numbers=g.get("wide_numbers_kept", True))
    answer = {"results": results, "durable": durable(), "server_time": iso(moment)}
    # A Response passes the schema's dump by: results of plain keys need none.
    return jsonify(answer) if results_dumped(results) else answer


def durable() -> dict:
    return durability.answer(get_db(), g.actor.device_id, bool(current_app.config["REPLICA_URL"]))


@bp.route("/pull", methods=["GET"])
@access()
@bp.arguments(PullQuerySchema, location="query")
@bp.response(200, PullResponseSchema)
def pull_page(args):
    """One page of changes in the device's scope after ``cursor``; repeat while ``has_more``."""
    config = current_app.config
    limit = min(args["limit"] or config["PULL_PAGE_SIZE"], config["PULL_PAGE_SIZE"] * 5)
    page = pull.pull(get_db(), g.actor, g.user, args["cursor"], limit, now(), config["CURSOR_MAX_AGE_DAYS"])
    return {**page, "durable": durable()}
