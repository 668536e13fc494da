"""The obstacle taxonomy (طبقه‌بندی موانع تولید) and validation of recorded obstacles.

A taxonomy document lists specialty areas, each with its groups, plus the severities and
responsible bodies an obstacle record may use (format in docs/checklists.md). Codes are stable
ASCII identifiers; a group's code starts with its area's code (``finance.working_capital``) so
the area can be read off any stored group code. Pure functions except the file loaders.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import Any, NamedTuple

from sync.templates import (
    FORM_KEY,
    DocumentError,
    Problem,
    bare_yaml_word,
    is_blank,
    join_path,
    label_problems,
    problem,
    read_document,
    short_repr,
    unknown_field_problems,
)

AREA_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
GROUP_CODE_RE = re.compile(r"^([a-z][a-z0-9_]{0,31})\.[a-z][a-z0-9_]{0,63}$")
# Obstacle ids are minted on the device (offline), typically UUIDs; accept any short token.
OBSTACLE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
MAX_OBSTACLE_TEXT = 2000

_TAXONOMY_FIELDS = frozenset({"version", "title", "areas", "severities", "responsible_bodies"})
_ENTRY_FIELDS = frozenset({"code", "label", "description"})
_AREA_FIELDS = _ENTRY_FIELDS | {"groups"}
OBSTACLE_FIELDS = frozenset({
    "area", "group", "severity", "description", "proposed_action", "responsible_body",
    "obstacle_id", "resolved",
})


class TaxonomyError(DocumentError):
    """A taxonomy document (or file) is not valid; ``errors`` holds every problem found."""

    kind = "taxonomy"


# ---------------------------------------------------------------------------
# Taxonomy documents
# ---------------------------------------------------------------------------


def validate_taxonomy(doc: Any) -> list[Problem]:
    """Every problem with a taxonomy document; an empty list means it is valid."""
    if not isinstance(doc, dict):
        return [problem("", "a taxonomy must be a JSON object")]
    found = unknown_field_problems(doc, _TAXONOMY_FIELDS, "")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        found.append(problem("version", "must be a positive integer"))
    if "title" in doc:
        found += label_problems(doc["title"], "title")
    seen_groups: dict[str, str] = {}
    areas, area_problems = _entries(doc.get("areas"), "areas", _AREA_FIELDS, AREA_CODE_RE)
    found += area_problems
    for path, area in areas:
        groups, group_problems = _entries(area.get("groups"), join_path(path, "groups"),
                                          _ENTRY_FIELDS, GROUP_CODE_RE, seen_groups)
        found += group_problems
        for gpath, group in groups:
            prefix = GROUP_CODE_RE.match(group["code"]).group(1)
            if prefix != area.get("code"):
                found.append(problem(join_path(gpath, "code"), f"group codes in area "
                                     f"{area.get('code')!r} must start with "
                                     f"'{area.get('code')}.'"))
    for name in ("severities", "responsible_bodies"):
        found += _entries(doc.get(name), name, _ENTRY_FIELDS, AREA_CODE_RE)[1]
    return found


def _entries(
    entries: Any,
    path: str,
    allowed: frozenset[str],
    code_re: re.Pattern,
    seen: dict[str, str] | None = None,
) -> tuple[list[tuple[str, dict]], list[Problem]]:
    """Check a list of ``{"code", "label", "description"?}`` entries.

    Returns the well-formed entries (with their paths) for further checks, and the problems.
    ``seen`` maps code -> path across calls so group codes stay unique over all areas.
    """
    if not isinstance(entries, list) or not entries:
        return [], [problem(path, "must be a non-empty list")]
    seen = {} if seen is None else seen
    good: list[tuple[str, dict]] = []
    found: list[Problem] = []
    for i, entry in enumerate(entries):
        epath = f"{path}[{i}]"
        if not isinstance(entry, dict):
            found.append(problem(epath, "must be an object with code and label"))
            continue
        found += unknown_field_problems(entry, allowed, epath)
        found += label_problems(entry.get("label"), join_path(epath, "label"))
        if "description" in entry:
            found += label_problems(entry["description"], join_path(epath, "description"))
        code = entry.get("code")
        if not isinstance(code, str) or not code_re.match(code):
            found.append(problem(join_path(epath, "code"), "must be a stable ASCII code such as "
                                 + ("'finance.working_capital'" if code_re is GROUP_CODE_RE
                                    else "'finance'") + bare_yaml_word(code)))
        elif code in seen:
            found.append(problem(join_path(epath, "code"),
                                 f"duplicate code {code!r} (first used at {seen[code]})"))
        else:
            seen[code] = epath
            good.append((epath, entry))
    return good, found


def ensure_valid_taxonomy(doc: Any) -> dict:
    """Return ``doc`` unchanged when valid; raise TaxonomyError with every problem otherwise."""
    found = validate_taxonomy(doc)
    if found:
        raise TaxonomyError(found)
    return doc


def load_taxonomy_file(path: str | Path) -> dict:
    """Read and validate a taxonomy file (.json/.yaml/.yml); raises TaxonomyError."""
    try:
        doc = read_document(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TaxonomyError([problem("", f"cannot read {Path(path).name}: {exc}")]) from exc
    return ensure_valid_taxonomy(doc)


DEFAULT_TAXONOMY_PATH = Path(__file__).parent / "data" / "obstacle_taxonomy.json"


def default_taxonomy() -> dict:
    """The shipped starter taxonomy: four areas and their groups."""
    return load_taxonomy_file(DEFAULT_TAXONOMY_PATH)


def _codes(entries: Any) -> list[str]:
    """Codes of a list of entries, skipping anything malformed (never raises)."""
    if not isinstance(entries, list):
        return []
    return [e["code"] for e in entries if isinstance(e, dict) and isinstance(e.get("code"), str)]


def group_areas(taxonomy: Any) -> dict[str, str]:
    """Group code -> area code, for every group in the taxonomy."""
    areas = taxonomy.get("areas") if isinstance(taxonomy, dict) else None
    return {
        group: area["code"]
        for area in (areas if isinstance(areas, list) else [])
        if isinstance(area, dict) and isinstance(area.get("code"), str)
        for group in _codes(area.get("groups"))
    }


# ---------------------------------------------------------------------------
# Obstacle records
# ---------------------------------------------------------------------------


class Codes(NamedTuple):
    """The codes of a taxonomy, worked out once for checking many obstacles against it."""

    areas: list[str]
    groups: dict[str, str]  # group code -> area code
    severities: list[str]
    bodies: list[str]


def codes_of(taxonomy: Any) -> Codes:
    taxonomy = taxonomy if isinstance(taxonomy, dict) else {}
    return Codes(_codes(taxonomy.get("areas")), group_areas(taxonomy), _codes(taxonomy.get("severities")),
                 _codes(taxonomy.get("responsible_bodies")))


def validate_obstacle(taxonomy: Any, obstacle: Any, codes: Codes | None = None) -> dict[str, list[str]]:
    """Field-level problems with one obstacle record; empty when valid. Never raises.

    A record is ``{area, group, severity, description, proposed_action?, responsible_body?,
    obstacle_id?, resolved?}``. ``resolved: true`` needs the ``obstacle_id`` of the obstacle
    being closed, since only a known obstacle can be resolved. Pass ``codes_of(taxonomy)``
    as ``codes`` when checking many obstacles against one taxonomy.
    """
    if not isinstance(obstacle, dict):
        return {FORM_KEY: ["an obstacle must be an object"]}
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for name in obstacle:
        if name not in OBSTACLE_FIELDS:
            add(str(name), "unknown field")
    codes = codes or codes_of(taxonomy)
    groups = codes.groups
    area = _check_code(obstacle, "area", codes.areas, add, required=True)
    group = _check_code(obstacle, "group", groups, add, required=True)
    if area and group and groups[group] != area:
        add("group", f"group {group!r} belongs to area {groups[group]!r}, not {area!r}")
    _check_code(obstacle, "severity", codes.severities, add, required=True)
    _check_code(obstacle, "responsible_body", codes.bodies, add, required=False)
    _check_text(obstacle, "description", add, required=True)
    _check_text(obstacle, "proposed_action", add, required=False)
    obstacle_id = obstacle.get("obstacle_id")
    if obstacle_id is not None and (not isinstance(obstacle_id, str)
                                    or not OBSTACLE_ID_RE.match(obstacle_id)):
        add("obstacle_id", "must be a short id of letters, digits, '_', '.', ':' or '-'")
    resolved = obstacle.get("resolved")
    if resolved is not None and not isinstance(resolved, bool):
        add("resolved", "must be true or false")
    elif resolved is True and obstacle_id is None:
        add("resolved", "resolving an obstacle needs the obstacle_id it was recorded with")
    return errors


def _check_code(obstacle: dict, field: str, allowed: Collection[str], add, *, required: bool):
    """The field's value when it is one of ``allowed`` (in order, for the message: the groups
    come as their dict, a look-up instead of a scan of some 256); otherwise report and return
    None."""
    value = obstacle.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            add(field, "this field is required")
        return None
    if not isinstance(value, str) or value not in allowed:
        allowed = list(allowed)
        shown = ", ".join(allowed[:12]) + (", ..." if len(allowed) > 12 else "")
        name = field.replace("_", " ")
        add(field, f"unknown {name} {short_repr(value)}; expected one of: {shown}")
        return None
    return value


def _check_text(obstacle: dict, field: str, add, *, required: bool) -> None:
    value = obstacle.get(field)
    if is_blank(value) and not isinstance(value, (list, dict)):
        if required:
            add(field, "this field is required")
    elif not isinstance(value, str):
        add(field, "must be text")
    elif len(value) > MAX_OBSTACLE_TEXT:
        add(field, f"must be at most {MAX_OBSTACLE_TEXT} characters")
