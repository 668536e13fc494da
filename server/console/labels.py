"""Words for stored codes that come from documents in the store: the obstacle taxonomy and
checklist templates (their labels are bilingual in the documents themselves).

Looked up once per request and kept on ``g``; a code the document does not know is shown
as the code itself, so nothing disappears from a page when a label is missing.
"""

from flask import g

from server.console import i18n
from server.console.web import bp, lang
from server.db import get_db
from sync import checklists
from sync.errors import NotFound
from sync.taxonomy import default_taxonomy
from sync.templates import default_template

TAXONOMY_KINDS = ("areas", "groups", "severities", "responsible_bodies")


def taxonomy_document(db) -> dict:
    current = checklists.current_taxonomy(db)
    return current["taxonomy"] if current else default_taxonomy()


def taxonomy_label_map(db) -> dict[str, dict[str, dict]]:
    """``{"areas": {code: {"fa", "en"}}, "groups": …, "severities": …, "responsible_bodies": …}``."""
    doc = taxonomy_document(db)
    labels = {kind: {} for kind in TAXONOMY_KINDS}
    for area in doc.get("areas", []):
        labels["areas"][area["code"]] = area.get("label", {})
        for group in area.get("groups", []):
            labels["groups"][group["code"]] = group.get("label", {})
    for kind in ("severities", "responsible_bodies"):
        for entry in doc.get(kind, []):
            labels[kind][entry["code"]] = entry.get("label", {})
    return labels


def taxonomy_labels(db=None) -> dict[str, dict[str, dict]]:
    """:func:`taxonomy_label_map`, read once per request."""
    if "taxonomy_labels" not in g:
        g.taxonomy_labels = taxonomy_label_map(db or get_db())
    return g.taxonomy_labels


def pick(label, lang: str, fallback: str = "") -> str:
    """The text of a bilingual label ``{"fa", "en"}`` in ``lang`` (Persian when missing)."""
    if isinstance(label, dict):
        return label.get(lang) or label.get("fa") or fallback
    return label or fallback


def taxonomy_label(kind: str, code, lang: str) -> str:
    if code in (None, ""):
        return ""
    return pick(taxonomy_labels().get(kind, {}).get(code), lang, str(code))


def template_definition(db, code: str | None, version: int | None) -> dict | None:
    """The definition a visit was filled with, or None when the store does not hold it."""
    if not code or not version:
        return None
    try:
        return checklists.get_template(db, code, version, include_drafts=True)["definition"]
    except NotFound:
        shipped = default_template()
        # A store that has not loaded its templates yet still shows the shipped form.
        return shipped if (shipped["code"], shipped["version"]) == (code, version) else None


def template_name(code: str | None, version: int | None, lang: str) -> str:
    """A template as a supervisor knows it: its title in ``lang`` and version, not its code
    (``diagnosis v1`` is an identifier, English in a Persian page)."""
    if not code:
        return ""
    cache = g.setdefault("template_names", {})
    if (code, version) not in cache:
        definition = template_definition(get_db(), code, version)
        cache[(code, version)] = pick((definition or {}).get("title"), lang, code)
    return i18n.translate(lang, "template.name", title=cache[(code, version)], version=version or "?")


@bp.app_template_global("template_name")
def _template_name(code, version) -> str:
    return template_name(code, version, lang())


@bp.app_template_global("taxon")
def _taxon(kind: str, code) -> str:
    """In templates: ``taxon('groups', o.group_code)`` → the group's label in the page language."""
    return taxonomy_label(kind, code, lang())
