"""The duplicates queue: candidate pairs side by side, merge or not-the-same, and unmerge.

The queue belongs to the dedup engine (``sync.dedup_store``: ``list_candidates``,
``candidate_detail``, ``decide``, ``unmerge``); this module only shows it and sends the
supervisor's decisions to it. While that module is absent the page says so instead of failing.
"""

import importlib

from flask import abort, g, request, url_for

from server.auth import STAFF
from server.console import dedup_words, filters
from server.console.visit_view import distance_m
from server.console.web import _, act, bp, console_access, page
from server.db import get_db, writing
from sync import console_queries, merge, units
from sync.dedup import scoring
from sync.errors import NotFound

QUEUE_MODULE = "sync.dedup_store"
STATUSES = ("pending", "merged", "distinct")


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


def _name(db, pairs: list[dict]) -> list[dict]:
    """Each pair with its two units (``first``, ``second``) and its chance in words."""
    named = console_queries.names_by_id(db, "units", [p[k] for p in pairs for k in ("unit_a", "unit_b")])
    for pair in pairs:
        a = named.get(pair["unit_a"], {"id": pair["unit_a"]})
        b = named.get(pair["unit_b"], {"id": pair["unit_b"]})
        pair["first"], pair["second"] = first_and_second(a, b)
        pair["chance"] = dedup_words.chance(pair["score"])
    return pairs


def pending_pairs_of(db, actor, unit_id: str, limit: int = 20) -> list[dict]:
    """The pairs still waiting for a decision that ``unit_id`` is in (for its unit page)."""
    queue = queue_module()
    if queue is None:
        return []
    return _name(db, queue.list_candidates(db, actor, unit_id=unit_id, limit=limit)["items"])


def first_and_second(a: dict, b: dict) -> tuple[dict, dict]:
    """The pair in the order every page shows it: the older record first. It is the one
    devices already know, so keeping it (the first, primary button) redirects fewer ids."""
    return tuple(sorted((a, b), key=lambda u: (u.get("created_at") or "", u["id"])))


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
    """The score explained: each feature's level (in the words the comparison table uses), the
    weight it added and that weight in words; strongest first, features that weigh nothing last."""
    weights = _weights(detail)
    rows = []
    for name, level in (detail.get("features") or {}).items():
        weight = weights.get(name, 0.0)
        rows.append({"feature": name, "level": level, "weight": weight, "kind": dedup_words.kind(name, level),
                     "level_key": dedup_words.level_key(name, level), "effect": dedup_words.effect(weight)})
    return sorted(rows, key=lambda r: (-abs(r["weight"]), r["feature"]))


def base_score(detail: dict) -> float:
    """Where the score starts before any evidence (the model's bias), taken from the pair's own
    numbers so the rows shown always add up to its score, whatever weights scored it."""
    return round(detail["score"] - sum(_weights(detail).values()), 2)


def hard_rules(detail: dict) -> list[str]:
    """The hard rules that stopped an automatic merge, in the page's language (the engine's
    reasons spell them in English)."""
    features = detail.get("features") or {}
    shown = [_(f"duprule.{name}") for (name, level) in scoring.HARD_RULES if features.get(name) == level]
    known = set(scoring.HARD_RULES.values())
    others = [r.removeprefix("hard rule:").strip() for r in detail.get("reasons", []) if r.startswith("hard rule")]
    return shown + [r for r in others if r not in known]


def comparison(detail: dict, left: dict, right: dict, db) -> list[dict]:
    """The pair field by field: both values, how they compare (in the explanation's words),
    and the merged record: which value it keeps when the first record survives, and whether
    the supervisor may pick the other."""
    plan = {r["field"]: r for r in merge.preview(db, right["id"], left["id"])}
    rows = []
    for field in units.FIELDS:
        ours, theirs = left.get(field), right.get(field)
        state, level = dedup_words.field_state(field, ours, theirs, detail.get("features") or {})
        step = plan[field]
        rows.append({"field": field, "left": ours, "right": theirs, "kind": state, "level_key": level,
                     "keeps": "right" if step["source"] == "loser" else "left", "choosable": step["choosable"]})
    return rows


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
    _name(db, pairs)
    raw = {**parsed.raw, "status": status}
    return page("console/duplicates.html", available=queue is not None, pairs=pairs, total=total,
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
    left, right = first_and_second(*detail["units"])
    probability = dedup_words.chance(detail["score"])
    live = not left["merged_into"] and not right["merged_into"]
    return page("console/duplicate.html", pair=detail, left=left, right=right,
                rows=comparison(detail, left, right, db) if live else [],
                evidence=evidence(detail), rules=hard_rules(detail), base=base_score(detail),
                chance=probability, band=dedup_words.chance_band(probability), thresholds=dedup_words.thresholds(),
                distance=distance_m(left.get("location"), right.get("location")), live=live)


@bp.route("/duplicates/<int:candidate_id>/decide", methods=["POST"])
@console_access(*STAFF)
def decide_duplicate(candidate_id):
    """``merge`` (``winner_id`` survives; ``value_<field>`` names the record whose value the
    merged unit keeps), ``distinct`` (not the same; never proposed again) or ``reopen`` (take
    a "not the same" back)."""
    queue = _require_queue()
    decision = request.form.get("decision")
    if decision not in ("merge", "distinct", "reopen"):
        abort(400)
    winner_id = request.form.get("winner_id") or None
    values = {f: request.form[f"value_{f}"][:64] for f in units.FIELDS if request.form.get(f"value_{f}")}
    try:
        queue.candidate_detail(get_db(), g.actor, candidate_id)
    except NotFound:
        abort(404)
    outcome = {}

    def run():
        with writing() as tx:
            outcome.update(queue.decide(tx, candidate_id, decision, winner_id, values))

    back = url_for("console.duplicate", candidate_id=candidate_id)
    if decision == "merge":
        response = act(run, _("dup.merged"), back)
        if "merge" in outcome:
            response.headers["Location"] = url_for("console.unit", unit_id=outcome["merge"]["winner_id"])
        return response
    return act(run, _("dup.dismissed") if decision == "distinct" else _("dup.reopened"), back)
