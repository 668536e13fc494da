"""OpenRosa, for ODK Collect and KoboCollect: form list, forms, media, submissions.

Everything is under ``/odk/key/<key>`` — the server URL Collect is given (a Collect key,
``sync.odk.keys``) — and follows what ODK Central answers (docs/odk-collect.md):

* ``GET formList`` — the published checklists, each the latest version as an XForm;
* ``GET forms/<id>.xml`` and ``GET forms/<id>/manifest`` — the form, and its media: the
  units entity list (with its integrity URL), provinces, parks, visits sent back;
* ``GET forms/<id>/attachments/<name>`` — one media file, made for this engineer;
* ``GET datasets/units/integrity?id=…`` — which of the units the phone holds are gone;
* ``HEAD``/``GET``/``POST submission`` — 204 with the limits, or a submission (multipart
  ``xml_submission_file`` and its photos), answered 201 with an ``OpenRosaResponse``.

Answers carry ``X-OpenRosa-Version: 1.0`` and ``X-OpenRosa-Accept-Content-Length``; the
OpenRosa calls require the request header ``X-OpenRosa-Version: 1.0`` as Central does.
Errors are OpenRosa XML (what Collect shows the engineer), with the envelope's ``code`` in
``X-Fieldsync-Error-Code``.
"""

from functools import wraps
from html import escape

from flask import Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from server.db import get_db, now
from server.errors import STATUS_OF_CODE, from_http_exception
from server.requests import Blueprint
from sync import attachments, checklists
from sync.errors import DomainError, Forbidden, Invalid, NotFound, Unauthorized
from sync.odk import keys, media, submissions, xforms
from sync.users import actor_for

bp = Blueprint("openrosa", __name__, url_prefix="/odk/key/<key>",
               description="OpenRosa for ODK Collect and KoboCollect (docs/odk-collect.md). The key in the path "
                           "is a Collect key; errors are OpenRosa XML.")
XML = "text/xml; charset=utf-8"
ROLES = ("engineer",)  # who fills forms in Collect (keys are issued to engineers)
_XML_DOC = {"content": {"text/xml": {"schema": {"type": "string"}}}}
# Every refusal is an OpenRosaResponse, whatever the status.
_XML_ERRORS = {str(status): {"description": "OpenRosaResponse with the reason (nature=error).", **_XML_DOC}
               for status in (400, 401, 403, 404, 405, 409, 413, 415, 422, 429)}


def _responses(ok: dict) -> dict:
    return {"responses": {**_XML_ERRORS, **ok}}


def _headers(response: Response) -> Response:
    response.headers["X-OpenRosa-Version"] = "1.0"
    response.headers["X-OpenRosa-Accept-Content-Length"] = str(current_app.config["MAX_REQUEST_BYTES"])
    response.headers["Content-Language"] = "fa"
    return response


def _xml(body: str, status: int = 200) -> Response:
    return _headers(Response(body, status=status, mimetype="text/xml", content_type=XML))


def openrosa_message(text: str, nature: str = "") -> str:
    return ('<OpenRosaResponse xmlns="http://openrosa.org/http/response" items="0">'
            f'<message nature="{escape(nature)}">{escape(text)}</message></OpenRosaResponse>')


def _error(code: str, message: str, status: int) -> Response:
    response = _xml(openrosa_message(message, "error"), status)
    response.headers["X-Fieldsync-Error-Code"] = code
    return response


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    text = getattr(error, "text", None) or error.message
    if isinstance(error, Invalid) and not getattr(error, "text", None):
        text = error.message + " " + " — ".join(f"{k}: {'; '.join(map(str, v))}" for k, v in error.fields.items())
    return _error(error.code, text, STATUS_OF_CODE.get(error.code, 400))


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    envelope = from_http_exception(error).get_json()["error"]
    return _error(envelope["code"], envelope["message"], error.code or 500)


def odk_access(openrosa: bool = True):
    """A Collect key in the path: ``g.user``, ``g.actor`` (the key's device), ``g.device_id``.
    ``openrosa``: the call must say ``X-OpenRosa-Version: 1.0``, as Collect always does."""

    def decorate(view):
        @wraps(view)
        def wrapper(key, *args, **kwargs):
            found = keys.holder(get_db(), key)
            if found is None:
                raise Unauthorized("This Collect key is unknown or was revoked: ask your supervisor for a new QR code.")
            if openrosa and request.headers.get("X-OpenRosa-Version") != "1.0":
                raise Invalid({"X-OpenRosa-Version": ["Send X-OpenRosa-Version: 1.0 (ODK Collect does)."]})
            g.user, g.device_id = found
            if g.user["role"] not in ROLES:
                raise Forbidden("Collect keys work for engineers only.")
            g.actor = actor_for(g.user, g.device_id)
            return view(*args, **kwargs)

        wrapper.access_rule = {"public": False, "roles": ROLES, "collect_key": True}
        return wrapper

    return decorate


def _base() -> str:
    return f"{request.host_url.rstrip('/')}{bp.url_prefix.replace('<key>', request.view_args['key'])}"


def _forms(db) -> list[xforms.XForm]:
    """The latest published version of each checklist, with the taxonomy in force."""
    taxonomy = (checklists.current_taxonomy(db) or {}).get("taxonomy")
    if taxonomy is None:
        return []
    latest = {}
    for row in checklists.list_templates(db, ("published",)):
        latest[row["code"]] = row["version"]
    return [xforms.build(checklists.get_template(db, code, version)["definition"], taxonomy)
            for code, version in sorted(latest.items())]


def _form(db, form_id: str) -> xforms.XForm:
    form = next((f for f in _forms(db) if f.form_id == form_id), None)
    if form is None:
        raise NotFound(f"No form {form_id}.")
    return form


@bp.route("/formList", methods=["GET"])
@odk_access()
@bp.doc(**_responses({"200": {"description": "OpenRosa xformsList.", **_XML_DOC}}))
def form_list():
    """The forms this engineer may fill (OpenRosa form list); ``?formID=`` narrows it."""
    wanted = request.args.get("formID")
    items = []
    for form in _forms(get_db()):
        if wanted and form.form_id != wanted:
            continue
        url = f"{_base()}/forms/{escape(form.form_id)}"
        items.append(f"<xform><formID>{escape(form.form_id)}</formID><name>{escape(form.title)}</name>"
                     f"<version>{escape(form.version)}</version><hash>md5:{form.md5}</hash>"
                     f"<downloadUrl>{url}.xml</downloadUrl><manifestUrl>{url}/manifest</manifestUrl></xform>")
    return _xml('<?xml version="1.0" encoding="UTF-8"?><xforms xmlns="http://openrosa.org/xforms/xformsList">'
                + "".join(items) + "</xforms>")


@bp.route("/forms/<form_id>.xml", methods=["GET"])
@odk_access(openrosa=False)
@bp.doc(**_responses({"200": {"description": "The XForm.", **_XML_DOC}}))
def form_xml(form_id):
    """The XForm of a checklist (its latest published version)."""
    return _xml(_form(get_db(), form_id).xml)


@bp.route("/forms/<form_id>/manifest", methods=["GET"])
@odk_access()
@bp.doc(**_responses({"200": {"description": "OpenRosa xformsManifest.", **_XML_DOC}}))
def manifest(form_id):
    """The form's media: the units entity list and the other CSV files, made for this engineer."""
    db = get_db()
    _form(db, form_id)
    base = f"{_base()}/forms/{escape(form_id)}/attachments"
    files = []
    for item in media.manifest(db, g.actor):
        kind = ' type="entityList"' if item["entity_list"] else ""
        integrity = f"<integrityUrl>{_base()}/datasets/units/integrity</integrityUrl>" if item["entity_list"] else ""
        files.append(f"<mediaFile{kind}><filename>{item['name']}</filename><hash>md5:{item['md5']}</hash>"
                     f"<downloadUrl>{base}/{item['name']}</downloadUrl>{integrity}</mediaFile>")
    return _xml('<?xml version="1.0" encoding="UTF-8"?><manifest xmlns="http://openrosa.org/xforms/xformsManifest">'
                + "".join(files) + "</manifest>")


@bp.route("/forms/<form_id>/attachments/<name>", methods=["GET"])
@odk_access(openrosa=False)
@bp.doc(**_responses({"200": {"description": "A CSV media file.",
                              "content": {"text/csv": {"schema": {"type": "string"}}}}}))
def media_file(form_id, name):
    """One media file of the form (``units.csv`` is the entity list), for this engineer."""
    db = get_db()
    _form(db, form_id)
    data = media.content(db, g.actor, name)
    if data is None:
        raise NotFound(f"No media file {name}.")
    response = _headers(Response(data, mimetype="text/csv", content_type="text/csv; charset=utf-8"))
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/datasets/units/integrity", methods=["GET"])
@odk_access()
@bp.doc(**_responses({"200": {"description": "Entity states: deleted or not.", **_XML_DOC}}))
def integrity():
    """For the unit ids Collect holds (``?id=a,b``), which are gone: merged, out of scope, unknown."""
    ids = [i.strip() for i in (request.args.get("id") or "").split(",") if i.strip()][:5000]
    states = media.integrity(get_db(), g.actor, ids)
    body = "".join(f'<entity id="{escape(unit_id)}"><deleted>{"true" if gone else "false"}</deleted></entity>'
                   for unit_id, gone in states)
    return _xml(f'<?xml version="1.0" encoding="UTF-8"?><data><entities>{body}</entities></data>')


@bp.route("/submission", methods=["HEAD", "GET"])
@odk_access()
@bp.doc(**_responses({"204": {"description": "Ready for a submission; the headers say how large."}}))
def submission_head():
    """Before sending, Collect asks: 204 with X-OpenRosa-Accept-Content-Length."""
    return _headers(Response(status=204))


@bp.route("/submission", methods=["POST"])
@odk_access()
@bp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "properties": {"xml_submission_file": {"type": "string", "format": "binary"}}}}}},
    **_responses({"201": {"description": "OpenRosaResponse: stored (or already stored).", **_XML_DOC}}))
def submission():
    """A filled form and its photos: the same mutations a device pushes, exactly once by
    instanceID. Photos may come in later POSTs with the same XML."""
    xml_part = request.files.get("xml_submission_file")
    if xml_part is None:
        raise Invalid({"xml_submission_file": ["Send the filled form as the multipart part xml_submission_file."]})
    files = {}
    for field, part in request.files.items(multi=True):
        if field != "xml_submission_file":
            files[part.filename or field] = part.read()
    config = current_app.config
    outcome = submissions.receive(get_db(), attachments.configured_storage(config), g.actor, xml_part.read(), files,
                                  now(), config["CLOCK_SKEW_SECONDS"], config["MAX_ATTACHMENT_BYTES"])
    text = ("این فرم قبلاً رسیده بود." if outcome["status"] == "duplicate" else "فرم رسید و ثبت شد.")
    return _xml(openrosa_message(text), 201)
