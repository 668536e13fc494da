"""Checklist templates and the obstacle taxonomy: anyone reads, admins change."""

from flask import Response, g, request

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
from sync.errors import Forbidden, Invalid, NotFound
from sync.odk import xforms
from sync.taxonomy import default_taxonomy

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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


@bp.route("/templates/xlsform", methods=["POST"])
@access("admin")
@bp.doc(requestBody={"required": True, "description": "An XLSForm file (.xlsx).",
                     "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}},
        parameters=[{"name": "publish", "in": "query", "schema": {"type": "boolean"}}])
@bp.response(201, TemplateSchema)
def import_xlsform():
    """Read an XLSForm into a template version (a draft, or published with ``?publish=true``).

    The subset a template holds is accepted (docs/odk-collect.md, "XLSForm import");
    anything else is refused with ``details.fields["<sheet> row <n>"]``.
    """
    data = request.get_data(cache=False)
    if not data:
        raise Invalid({"body": ["Send the XLSForm file as the request body."]})
    definition = xforms.template_from_xlsx(data)
    with writing() as tx:
        return checklists.save_template(tx, definition, publish=request.args.get("publish") in ("1", "true"))


def _taxonomy(db) -> dict:
    return (checklists.current_taxonomy(db) or {}).get("taxonomy") or default_taxonomy()


@bp.route("/templates/<code>/<int:version>/xlsform", methods=["GET"])
@access("admin", "supervisor")
@bp.response(200, description="The XLSForm of the version's Collect form.",
             content_type=XLSX)
def export_xlsform(code, version):
    """The XLSForm of a version (with the taxonomy in force): what Collect's form is made of."""
    db = get_db()
    template = checklists.get_template(db, code, version, include_drafts=g.actor.role == "admin")
    response = Response(xforms.xlsx_of(template["definition"], _taxonomy(db)), mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{code}-v{version}.xlsx"'
    return response


@bp.route("/templates/<code>/<int:version>/xform", methods=["GET"])
@access("admin", "supervisor")
@bp.response(200, description="The XForm ODK Collect fills.", content_type="text/xml")
def export_xform(code, version):
    """The XForm of a version (with the taxonomy in force), as Collect downloads it."""
    db = get_db()
    template = checklists.get_template(db, code, version, include_drafts=g.actor.role == "admin")
    return Response(xforms.build(template["definition"], _taxonomy(db)).xml, mimetype="text/xml")


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
