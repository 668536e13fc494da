"""Checklist templates and the obstacle taxonomy: anyone reads, admins change."""

from flask import g

from schemas.checklists import (
    TaxonomySchema,
    TaxonomyUploadSchema,
    TemplateListSchema,
    TemplateQuerySchema,
    TemplateSchema,
    TemplateUploadSchema,
)
from server.auth import access
from server.db import get_db, writing
from server.requests import Blueprint
from sync import checklists
from sync.errors import Forbidden, NotFound

bp = Blueprint("templates", __name__, url_prefix="/api/v1",
               description="Checklist templates and the obstacle taxonomy.")


@bp.route("/templates", methods=["GET"])
@access()
@bp.arguments(TemplateQuerySchema, location="query")
@bp.response(200, TemplateListSchema)
def list_templates(args):
    """Template versions without their definitions: published ones, or (admins) any status."""
    statuses = args.get("status") or ["published"]
    if g.actor.role != "admin" and set(statuses) - {"published", "retired"}:
        raise Forbidden("Only admins see drafts.")
    return {"items": checklists.list_templates(get_db(), statuses, args.get("code"))}


@bp.route("/templates", methods=["POST"])
@access("admin")
@bp.arguments(TemplateUploadSchema)
@bp.response(201, TemplateSchema)
def upload_template(body):
    """Upload a template version as a draft (or replace a draft); ``publish: true`` publishes it.

    The definition is checked in full: every problem comes back under
    ``details.fields["definition.<path>"]``.
    """
    with writing() as tx:
        return checklists.save_template(tx, body["definition"], publish=body["publish"])


@bp.route("/templates/<code>", methods=["GET"])
@access()
@bp.response(200, TemplateSchema)
def latest_template(code):
    """The latest published version of a template, with its definition."""
    return checklists.get_template(get_db(), code)


@bp.route("/templates/<code>/<int:version>", methods=["GET"])
@access()
@bp.response(200, TemplateSchema)
def get_template(code, version):
    """One version with its definition (drafts: admins only)."""
    return checklists.get_template(get_db(), code, version, include_drafts=g.actor.role == "admin")


@bp.route("/templates/<code>/<int:version>/publish", methods=["POST"])
@access("admin")
@bp.response(200, TemplateSchema)
def publish_template(code, version):
    """Publish a draft: devices receive it with their next pull, visits may name it."""
    with writing() as tx:
        return checklists.publish_template(tx, code, version)


@bp.route("/templates/<code>/<int:version>/retire", methods=["POST"])
@access("admin")
@bp.response(200, TemplateSchema)
def retire_template(code, version):
    """Retire a published version: devices stop offering it; visits already filled on it
    (even those still offline) are accepted."""
    with writing() as tx:
        return checklists.retire_template(tx, code, version)


@bp.route("/taxonomy", methods=["GET"])
@access()
@bp.response(200, TaxonomySchema)
def get_taxonomy():
    """The obstacle taxonomy in force: areas, groups, severities, responsible bodies."""
    current = checklists.current_taxonomy(get_db())
    if current is None:
        raise NotFound("No obstacle taxonomy is loaded.")
    return current


@bp.route("/taxonomy", methods=["PUT"])
@access("admin")
@bp.arguments(TaxonomyUploadSchema)
@bp.response(200, TaxonomySchema)
def put_taxonomy(body):
    """Replace the taxonomy by a new version (numbered above the current one). Codes that
    recorded obstacles use cannot be dropped; labels may change freely."""
    with writing() as tx:
        return checklists.load_taxonomy(tx, body["taxonomy"])
