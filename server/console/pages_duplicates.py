"""The duplicates queue: candidate pairs side by side, merge or not-the-same, and unmerge.

The queue belongs to the dedup engine (``sync.dedup_store``: ``list_candidates``,
``candidate_detail``, ``decide``, ``unmerge``); this module only shows it and sends the
supervisor's decisions to it. While that module is absent the page says so instead of failing.
"""

import importlib
import math

from flask import abort, g, request, url_for

from server.auth import STAFF
from server.console import filters
from server.console.visit_view import distance_m
from server.console.web import _, act, bp, console_access, lang, page
from server.db import get_db, writing
from sync import console_queries, merge, units
from sync.dedup import scoring
from sync.errors import NotFound

QUEUE_MODULE = "sync.dedup_store"
STATUSES = ("pending", "merged", "distinct")
# How each field of the pair is shown, and which reference table names its id.
PLACE_TABLES = {"province_id": "provinces", "city_id": "cities", "park_id": "parks"}


def queue_module():
    """The dedup engine's queue (``sync.dedup_store``), or None while it is not installed."""
    try:
        return importlib.import_module(QUEUE_MODULE)
    except ImportError:
        return None


def pending_count(db, actor) -> int | None:
    queue = queue_module()
    return None if queue is None else queue.list_candidates(db, actor, limit=1)["total"]


def unmerge(tx, loser_id: str) -> dict:
    """Undo a merge; with the dedup queue installed, also remember the pair as different units."""
    queue = queue_module()
    return queue.unmerge(tx, loser_id) if queue is not None else merge.unmerge(tx, loser_id)


def _names(db, pair_units: list[dict]) -> dict:
    names = {}
    for field, table in PLACE_TABLES.items():
        rows = console_queries.names_by_id(db, table, [u[field] for u in pair_units])
        names[field] = {i: (r.get("name_en") if lang() == "en" and r.get("name_en") else r["name"])
                        for i, r in rows.items()}
    return names


def _shown(field: str, unit: dict, names: dict):
    value = unit.get(field)
    if field in PLACE_TABLES:
        return names[field].get(value, value)
    if field == "status":
        return _(f"status.{value}") if value else None
    return value


def _weights(detail: dict) -> dict[str, float]:
    """Each feature's weight from the reasons (``"<feature>=<level> <weight>"``)."""
    weights = {}
    for reason in detail.get("reasons", []):
        head, _sep, weight = reason.rpartition(" ")
        if "=" in head and not reason.startswith("hard rule"):
            try:
                weights[head.split("=", 1)[0]] = float(weight)
            except ValueError:
                continue
    return weights


def evidence(detail: dict) -> list[dict]:
    """The score explained: each feature's level and the weight it added, strongest first;
    features that weigh nothing last."""
    weights = _weights(detail)
    rows = [{"feature": name, "level": level, "weight": weights.get(name, 0.0)}
            for name, level in (detail.get("features") or {}).items()]
    return sorted(rows, key=lambda r: (-abs(r["weight"]), r["feature"]))


def base_score(detail: dict) -> float:
    """Where the score starts before any evidence (the model's bias), taken from the pair's own
    numbers so the rows shown always add up to its score, whatever weights scored it."""
    return round(detail["score"] - sum(_weights(detail).values()), 2)


def chance(score: float) -> float:
    """The score is a log-odds; a supervisor reads a chance more easily."""
    return 1 / (1 + math.exp(-max(-50.0, min(50.0, score))))


def hard_rules(detail: dict) -> list[str]:
    """The hard rules that stopped an automatic merge, in the page's language (the engine's
    reasons spell them in English)."""
    features = detail.get("features") or {}
    shown = [_(f"duprule.{name}") for (name, level) in scoring.HARD_RULES if features.get(name) == level]
    known = set(scoring.HARD_RULES.values())
    others = [r.removeprefix("hard rule:").strip() for r in detail.get("reasons", []) if r.startswith("hard rule")]
    return shown + [r for r in others if r not in known]


def _require_queue():
    queue = queue_module()
    if queue is None:
        abort(404)
    return queue


@bp.route("/duplicates")
@console_access(*STAFF)
def duplicates():
    queue = queue_module()
    db = get_db()
    parsed = filters.unit_filter(request.args)
    status = request.args.get("status") if request.args.get("status") in STATUSES else "pending"
    pairs, total = [], 0
    if queue is not None:
        found = queue.list_candidates(db, g.actor, status=status, province_id=parsed.filter.province_id,
                                      limit=parsed.per_page, offset=parsed.offset)
        pairs, total = found["items"], found["total"]
    named = console_queries.names_by_id(db, "units", [p[k] for p in pairs for k in ("unit_a", "unit_b")])
    raw = {**parsed.raw, "status": status}
    return page("console/duplicates.html", available=queue is not None, pairs=pairs, total=total, units=named,
                parsed=parsed, raw=raw, pair_status=status, statuses=STATUSES,
                provinces=console_queries.provinces_for(db, g.actor))


@bp.route("/duplicates/<int:candidate_id>")
@console_access(*STAFF)
def duplicate(candidate_id):
    queue = _require_queue()
    db = get_db()
    try:
        detail = queue.candidate_detail(db, g.actor, candidate_id)
    except NotFound:
        abort(404)
    # The older record on the first side: it is the one devices already know, so keeping it
    # (the first, primary button) redirects fewer ids.
    left, right = sorted(detail["units"], key=lambda u: (u["created_at"], u["id"]))
    names = _names(db, [left, right])
    rows = [{"field": f, "left": _shown(f, left, names), "right": _shown(f, right, names),
             "state": detail["fields"].get(f, "same")} for f in units.FIELDS]
    return page("console/duplicate.html", pair=detail, left=left, right=right, rows=rows,
                evidence=evidence(detail), rules=hard_rules(detail), base=base_score(detail),
                chance=chance(detail["score"]), thresholds=(scoring.MERGE_THRESHOLD, scoring.REVIEW_THRESHOLD),
                distance=distance_m(left.get("location"), right.get("location")))


@bp.route("/duplicates/<int:candidate_id>/decide", methods=["POST"])
@console_access(*STAFF)
def decide_duplicate(candidate_id):
    """``merge`` (``winner_id`` survives) or ``distinct`` (not the same; never proposed again)."""
    queue = _require_queue()
    decision = request.form.get("decision")
    if decision not in ("merge", "distinct"):
        abort(400)
    winner_id = request.form.get("winner_id") or None
    try:
        queue.candidate_detail(get_db(), g.actor, candidate_id)
    except NotFound:
        abort(404)
    outcome = {}

    def run():
        with writing() as tx:
            outcome.update(queue.decide(tx, candidate_id, decision, winner_id))

    if decision == "merge":
        back = url_for("console.duplicate", candidate_id=candidate_id)
        response = act(run, _("dup.merged"), back)
        if "merge" in outcome:
            response.headers["Location"] = url_for("console.unit", unit_id=outcome["merge"]["winner_id"])
        return response
    return act(run, _("dup.dismissed"), url_for("console.duplicates"))
