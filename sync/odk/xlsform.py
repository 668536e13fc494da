"""A template version as an XLSForm (the sheets pyxform reads), and the way back.

The form a Collect user fills is the template's checklist framed by what a visit needs:

1. ``_fs_visit`` — a returned visit to revise (from ``returned.csv``), or a new visit: a new
   unit (the **units** entity is created) or one picked offline from ``units.csv`` (the
   entity is updated with what the engineer changed: status, employees, phone, owner);
2. the template's sections as groups, its questions as rows: labels in Persian and English,
   ``required``, ranges as constraints, choices, ``show_if`` as ``relevant``, dates with the
   Persian calendar, a location as a geopoint, a photo question as a repeat of images;
3. ``_fs_obstacles`` — a repeat whose group list follows the chosen area (a choice filter).

Framing rows and lists are named ``_fs_…``: template keys are snake_case and start with a
letter, so they never collide. :func:`template_from_sheets` reads a form back, skipping the
framing, and refuses what a template cannot say (``XLSFormError`` with the sheet and row).
"""

import re

from sync.errors import Invalid

FA, EN = "Persian (fa)", "English (en)"
LANGS = {"fa": FA, "en": EN}
UNITS_DATASET = "units"
# The media files a form uses (sync/odk/media.py builds them per user).
UNITS_CSV, RETURNED_CSV, PROVINCES_CSV, PARKS_CSV = "units.csv", "returned.csv", "provinces.csv", "parks.csv"

YES_NO_LIST = "_fs_yes_no"
STATUS_LIST = "_fs_status"
YES, NO = "yes", "no"
# Unit fields an engineer may change on a unit picked from the list, and which entity
# property each is saved to (the same names are the entity list's columns).
EDITABLE = {"_fs_status": "status", "_fs_employees": "employees", "_fs_phone": "phone", "_fs_owner": "owner"}
NEW_ONLY = {"_fs_name": "unit_name", "_fs_province": "province_id", "_fs_park": "park_id",
            "_fs_national_id": "national_id", "_fs_activity": "activity", "_fs_location": "location"}
# The entity list's property columns (besides name, label, __version).
PROPERTIES = ("unit_name", "province_id", "park_id", "national_id", "activity", "status", "employees", "phone",
              "owner")
# The instance's framing nodes, read by sync/odk/submissions.py.
VISIT_GROUP, OBSTACLES, START = "_fs_visit", "_fs_obstacles", "_fs_start"

STATUS_LABELS = {"active": {"fa": "فعال", "en": "Active"}, "semi_active": {"fa": "نیمه‌فعال", "en": "Semi-active"},
                 "stalled": {"fa": "راکد", "en": "Stalled"}, "closed": {"fa": "تعطیل", "en": "Closed"}}


class XLSFormError(Invalid):
    """An XLSForm a template cannot hold; ``problems`` are (sheet, row, message), and the
    field errors are keyed ``"<sheet> row <n>"``."""

    def __init__(self, problems: list[tuple[str, int | None, str]]):
        fields: dict[str, list[str]] = {}
        for sheet, row, message in problems:
            fields.setdefault(f"{sheet} row {row}" if row else sheet, []).append(message)
        super().__init__(fields, "The XLSForm holds what a template cannot: see each sheet row named.")
        self.problems = problems


def _labels(label: dict | None, column: str = "label") -> dict:
    label = label or {}
    return {f"{column}::{LANGS[lang]}": text for lang, text in label.items() if lang in LANGS and text}


def _both(fa: str, en: str, column: str = "label") -> dict:
    return _labels({"fa": fa, "en": en}, column)


def _row(type_: str, name: str = "", **more) -> dict:
    row = {"type": type_}
    if name:
        row["name"] = name
    row.update({k: v for k, v in more.items() if v not in (None, "")})
    return row


# --- conditions and constraints ---------------------------------------------------------------

def _literal(qtype: str, value) -> str:
    if qtype == "yes_no":
        return f"'{YES if value else NO}'"
    if qtype in ("integer", "decimal"):
        return repr(value)
    if qtype == "date":
        return f"date('{value}')"
    return "'" + str(value).replace("'", "") + "'"


def relevant(show_if: dict | None, types: dict[str, str]) -> str | None:
    """``show_if`` as an XPath ``relevant``: equality (``selected()`` for a multiple choice),
    several values joined with ``or``."""
    if not show_if:
        return None
    key = show_if["question"]
    values = show_if["in"] if "in" in show_if else [show_if["equals"]]
    qtype = types[key]
    parts = [f"selected(${{{key}}}, {_literal(qtype, v)})" if qtype == "select_multiple"
             else f"${{{key}}} = {_literal(qtype, v)}" for v in values]
    # Parentheses mark an "in" list, even of one value, so that the form reads back the same.
    return parts[0] if "equals" in show_if else "(" + " or ".join(parts) + ")"


def _bound(value, qtype: str) -> str:
    if qtype == "date":
        return "today()" if value == "visit_date" else f"date('{value}')"
    return repr(value)


def constraint(question: dict) -> tuple[str | None, dict]:
    """The XPath constraint and its messages for a question's ``min``/``max``/``max_length``."""
    qtype, parts, fa, en = question["type"], [], [], []
    if "min" in question:
        parts.append(f". >= {_bound(question['min'], qtype)}")
        shown = "روز بازدید" if question["min"] == "visit_date" else str(question["min"])
        fa.append(f"کمتر از {shown} نباشد")
        en.append(f"at least {'the visit day' if question['min'] == 'visit_date' else question['min']}")
    if "max" in question:
        parts.append(f". <= {_bound(question['max'], qtype)}")
        shown = "روز بازدید" if question["max"] == "visit_date" else str(question["max"])
        fa.append(f"بیشتر از {shown} نباشد")
        en.append(f"at most {'the visit day' if question['max'] == 'visit_date' else question['max']}")
    if qtype == "text" and "max_length" in question:
        parts.append(f"string-length(.) <= {question['max_length']}")
        fa.append(f"حداکثر {question['max_length']} نویسه")
        en.append(f"at most {question['max_length']} characters")
    if not parts:
        return None, {}
    return " and ".join(parts), _both("باید " + " و ".join(fa) + ".", "Must be " + " and ".join(en) + ".",
                                      "constraint_message")


# --- template → sheets ------------------------------------------------------------------------

_TYPES = {"text": "text", "integer": "integer", "decimal": "decimal", "date": "date", "location": "geopoint",
          "note": "note"}


def _question_rows(question: dict, types: dict[str, str]) -> list[dict]:
    key, qtype = question["key"], question["type"]
    common = {**_labels(question.get("label")), **_labels(question.get("help"), "hint"),
              "relevant": relevant(question.get("show_if"), types)}
    if qtype != "note" and question.get("required"):
        common["required"] = "yes"
    check, messages = constraint(question)
    if check:
        common.update(constraint=check, **messages)
    if qtype == "photo":
        # Several photos per question: a repeat of images (the answer is the list of files).
        image = {**_labels(question.get("label")), "required": common.pop("required", None),
                 "parameters": "max-pixels=1600"}  # Collect shrinks the photo before it is queued
        return [_row("begin repeat", key, **common), _row("image", f"_fs_{key}_file", **image),
                _row("end repeat")]
    if qtype == "yes_no":
        return [_row(f"select_one {YES_NO_LIST}", key, **common)]
    if qtype in ("select_one", "select_multiple"):
        return [_row(f"{qtype} {key}", key, **common)]
    extra = {"appearance": "persian"} if qtype == "date" else {}
    return [_row(_TYPES[qtype], key, **common, **extra)]


def _unit_rows() -> list[dict]:
    """Which visit this is: a revision, a visit to a unit from the list, or to a new unit."""
    pick = f"instance('{UNITS_DATASET}')/root/item[name=${{_fs_unit}}]"
    returned = "instance('returned')/root/item[name=${_fs_revise}]"
    existing, new, first_visit = "${_fs_new_unit} = 'no'", "${_fs_new_unit} = 'yes'", "${_fs_revise} = ''"
    rows = [
        _row("begin group", VISIT_GROUP, **_both("بازدید و واحد", "Visit and unit")),
        _row(f"select_one_from_file {RETURNED_CSV}", "_fs_revise", appearance="minimal",
             **_both("بازبینی یک بازدید برگشتی (اختیاری)", "Revise a visit sent back (optional)")),
        _row("calculate", "_fs_revise_comment", calculation=f"{returned}/comment"),
        _row("calculate", "_fs_revise_version", calculation=f"{returned}/version"),
        _row("calculate", "_fs_revise_unit", calculation=f"{returned}/unit_id"),
        _row("note", "_fs_revise_note", relevant="${_fs_revise} != ''",
             **_both("نظر ناظر: ${_fs_revise_comment}", "Supervisor's comment: ${_fs_revise_comment}")),
        _row("text", "_fs_revision_comment", relevant="${_fs_revise} != ''",
             **_both("چه چیزی اصلاح شد؟", "What did you correct?")),
        _row(f"select_one {YES_NO_LIST}", "_fs_new_unit", required="yes", relevant=first_visit,
             **_both("آیا واحد تازه است (در فهرست نیست)؟", "Is this a new unit (not in the list)?")),
        _row(f"select_one_from_file {UNITS_CSV}", "_fs_unit", required="yes", appearance="autocomplete",
             relevant=existing, **_both("واحد", "Unit")),
        _row("text", "_fs_name", required="yes", relevant=new, save_to="unit_name",
             **_both("نام واحد", "Unit name")),
        _row(f"select_one_from_file {PROVINCES_CSV}", "_fs_province", required="yes", relevant=new,
             save_to="province_id", **_both("استان", "Province")),
        _row(f"select_one_from_file {PARKS_CSV}", "_fs_park", relevant=new, save_to="park_id",
             choice_filter="province_id = ${_fs_province}", **_both("شهرک یا ناحیه صنعتی", "Industrial park or zone")),
        _row("text", "_fs_national_id", relevant=new, save_to="national_id", **_both("شناسه ملی", "Legal national ID")),
        _row("text", "_fs_activity", relevant=new, save_to="activity", **_both("فعالیت", "Activity")),
        _row("geopoint", "_fs_location", relevant=new, save_to="location",
             **_both("موقعیت واحد", "Location of the unit")),
    ]
    labels = {"_fs_status": ("وضعیت واحد", "Unit status"), "_fs_employees": ("تعداد کارکنان", "Employees"),
              "_fs_phone": ("تلفن", "Phone"), "_fs_owner": ("مالک", "Owner")}
    for name, prop in EDITABLE.items():
        # The value the list had, and the question prefilled with it when a unit is picked:
        # only what the engineer changes is sent as an edit.
        rows.append(_row("calculate", f"_fs_was_{prop}", calculation=f"{pick}/{prop}"))
        qtype = f"select_one {STATUS_LIST}" if prop == "status" else ("integer" if prop == "employees" else "text")
        rows.append(_row(qtype, name, relevant=first_visit, save_to=prop, calculation=f"{pick}/{prop}",
                         trigger="${_fs_unit}", **_both(*labels[name])))
    rows += [
        _row("calculate", "_fs_new_unit_id", calculation="once(uuid())"),
        _row("calculate", "_fs_unit_id",
             calculation=f"if({new}, ${{_fs_new_unit_id}}, if({existing}, ${{_fs_unit}}, ${{_fs_revise_unit}}))"),
        _row("calculate", "_fs_unit_label", calculation=f"if({new}, ${{_fs_name}}, {pick}/label)"),
        _row("end group"),
    ]
    return rows


def _obstacle_rows() -> list[dict]:
    return [
        _row("begin repeat", OBSTACLES, **_both("موانع تولید", "Production obstacles")),
        _row("select_one _fs_area", "_fs_obstacle_area", required="yes", **_both("حوزه", "Area")),
        _row("select_one _fs_group", "_fs_obstacle_group", required="yes", choice_filter="area = ${_fs_obstacle_area}",
             **_both("گروه مانع", "Obstacle group")),
        _row("select_one _fs_severity", "_fs_obstacle_severity", required="yes", **_both("شدت", "Severity")),
        _row("text", "_fs_obstacle_description", required="yes", **_both("شرح مانع", "Description")),
        _row("text", "_fs_obstacle_action", **_both("اقدام پیشنهادی", "Proposed action")),
        _row("select_one _fs_body", "_fs_obstacle_body", **_both("دستگاه مسئول", "Responsible body")),
        _row("end repeat"),
    ]


def _choice(list_name: str, value: str, label: dict | None, **more) -> dict:
    return {"list_name": list_name, "name": value, **_labels(label), **more}


def _choices(definition: dict, taxonomy: dict) -> list[dict]:
    rows = [_choice(YES_NO_LIST, YES, {"fa": "بله", "en": "Yes"}), _choice(YES_NO_LIST, NO, {"fa": "خیر", "en": "No"})]
    rows += [_choice(STATUS_LIST, code, label) for code, label in STATUS_LABELS.items()]
    for section in definition["sections"]:
        for q in section["questions"]:
            rows += [_choice(q["key"], c["value"], c["label"]) for c in q.get("choices", [])]
    for area in taxonomy["areas"]:
        rows.append(_choice("_fs_area", area["code"], area["label"]))
        rows += [_choice("_fs_group", g["code"], g["label"], area=area["code"]) for g in area["groups"]]
    rows += [_choice("_fs_severity", s["code"], s["label"]) for s in taxonomy["severities"]]
    rows += [_choice("_fs_body", b["code"], b["label"]) for b in taxonomy["responsible_bodies"]]
    return rows


def form_version(definition: dict, taxonomy: dict) -> str:
    """The XForm's version: the template's and the taxonomy's (a new taxonomy changes the
    obstacle choices, so Collect must fetch the form again)."""
    return f"{definition['version']}.{taxonomy.get('version', 1)}"


def template_sheets(definition: dict, taxonomy: dict) -> dict[str, list[dict]]:
    """The XLSForm of a template version: ``survey``, ``choices``, ``settings``, ``entities``."""
    types = {q["key"]: q["type"] for s in definition["sections"] for q in s["questions"]}
    survey = [_row("start", START)]
    if definition.get("description"):
        survey.append(_row("note", "_fs_about", **_labels(definition["description"])))
    survey += _unit_rows()
    for section in definition["sections"]:
        survey.append(_row("begin group", section["key"], **_labels(section.get("title"))))
        for question in section["questions"]:
            survey += _question_rows(question, types)
        survey.append(_row("end group"))
    survey += _obstacle_rows()
    title = definition.get("title") or {}
    settings = {"form_title": title.get("fa") or definition["code"], "form_id": definition["code"],
                "version": form_version(definition, taxonomy), "default_language": FA,
                "instance_name": "concat(${_fs_unit_label}, ' ', ${_fs_start})"}
    # Kept for the way back (pyxform ignores settings columns it does not know).
    for column, text in _template_texts(definition).items():
        settings[column] = text
    entities = [{"list_name": UNITS_DATASET, "label": "${_fs_unit_label}", "entity_id": "${_fs_unit_id}",
                 "create_if": "${_fs_new_unit} = 'yes'", "update_if": "${_fs_new_unit} = 'no'"}]
    return {"survey": survey, "choices": _choices(definition, taxonomy), "settings": [settings],
            "entities": entities}


def _template_texts(definition: dict) -> dict:
    texts = {}
    if (definition.get("title") or {}).get("en"):
        texts["fs_title_en"] = definition["title"]["en"]
    for lang in LANGS:
        if (definition.get("description") or {}).get(lang):
            texts[f"fs_description_{lang}"] = definition["description"][lang]
    return texts


# --- sheets → template (XLSForm import) -------------------------------------------------------

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_RELEVANT = re.compile(r"^\$\{([a-z][a-z0-9_]*)\} = (.+)$")
_SELECTED = re.compile(r"^selected\(\$\{([a-z][a-z0-9_]*)\}, (.+)\)$")
_BOUND = re.compile(r"^(?:\. ([<>]=) (.+?)|string-length\(\.\) <= (\d+))$")
_SUPPORTED = {"text", "integer", "decimal", "date", "geopoint", "note", "select_one", "select_multiple",
              "begin group", "end group", "begin repeat", "end repeat", "image", "start", "calculate",
              "select_one_from_file"}


def _label_of(row: dict, column: str = "label") -> dict | None:
    found = {}
    for lang, name in LANGS.items():
        if row.get(f"{column}::{name}"):
            found[lang] = row[f"{column}::{name}"]
    if not found and row.get(column):
        found["fa"] = row[column]
    return found or None


def _parse_literal(text: str, qtype: str, problems, where):
    text = text.strip()
    if qtype == "yes_no":
        return {"'yes'": True, "'no'": False}.get(text, text)
    if qtype in ("integer", "decimal"):
        try:
            return int(text) if qtype == "integer" else float(text)
        except ValueError:
            problems.append((*where, f"the condition's value {text!r} is not a number"))
            return None
    match = re.fullmatch(r"date\('(\d{4}-\d{2}-\d{2})'\)", text) if qtype == "date" else None
    if match:
        return match.group(1)
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1]
    problems.append((*where, f"the condition's value {text!r} is not a quoted value"))
    return None


def _parse_relevant(text: str, types: dict, problems, where) -> dict | None:
    text = text.strip()
    parts = [text]
    if text.startswith("(") and text.endswith(")"):
        parts = [p.strip() for p in text[1:-1].split(" or ")]
    question, values = None, []
    for part in parts:
        match = _SELECTED.match(part) or _RELEVANT.match(part)
        if not match:
            problems.append((*where, f"relevant {text!r} is not a condition a template can hold "
                                     "(${question} = value, selected(${question}, value), joined with or)"))
            return None
        key, literal = match.groups()
        if key not in types or (question and key != question):
            problems.append((*where, f"relevant names {key!r}, which is not an earlier question, "
                                     "or mixes two questions"))
            return None
        question = key
        values.append(_parse_literal(literal, types[key], problems, where))
    if text.startswith("("):
        return {"question": question, "in": values}
    return {"question": question, "equals": values[0]}


def _parse_constraint(text: str, question: dict, problems, where) -> None:
    for part in text.split(" and "):
        match = _BOUND.match(part.strip())
        if not match:
            problems.append((*where, f"constraint {text!r} is not a range a template can hold "
                                     "(. >= min and . <= max, string-length(.) <= n)"))
            return
        op, bound, length = match.groups()
        if length:
            question["max_length"] = int(length)
            continue
        if bound == "today()":
            value = "visit_date"
        elif (day := re.fullmatch(r"date\('(\d{4}-\d{2}-\d{2})'\)", bound)):
            value = day.group(1)
        else:
            try:
                value = int(bound) if re.fullmatch(r"-?\d+", bound) else float(bound)
            except ValueError:
                problems.append((*where, f"constraint bound {bound!r} is not a number or a day"))
                return
        question["min" if op == ">=" else "max"] = value


def template_from_sheets(sheets: dict[str, list[dict]], code: str | None = None,
                         version: int | None = None) -> dict:
    """A template document from an XLSForm's sheets (rows as dicts, the sheets' own row
    numbers being list index + 2). Framing rows ``_fs_…`` are skipped; anything else a
    template cannot hold raises :class:`XLSFormError` naming the sheet and row."""
    problems: list = []
    settings = (sheets.get("settings") or [{}])[0]
    choices: dict[str, list] = {}
    for number, row in enumerate(sheets.get("choices") or [], start=2):
        if str(row.get("list_name", "")).startswith("_fs_") and row.get("list_name") != YES_NO_LIST:
            continue
        if row.get("list_name"):
            choices.setdefault(row["list_name"], []).append(
                {"value": str(row.get("name", "")), "label": _label_of(row) or {"fa": str(row.get("name", ""))},
                 "_row": number})
    sections, section, types, depth_skip, repeat = [], None, {}, 0, None
    for number, row in enumerate(sheets.get("survey") or [], start=2):
        where = ("survey", number)
        raw_type = str(row.get("type") or "").strip()
        name = str(row.get("name") or "").strip()
        head, _, tail = raw_type.partition(" ")
        if not raw_type:
            continue
        if depth_skip:
            depth_skip += {"begin": 1, "end": -1}.get(head, 0)
            continue
        if name.startswith("_fs_") or head in ("start", "calculate"):
            if head == "begin":
                depth_skip = 1
            continue
        if head not in _SUPPORTED and raw_type not in _SUPPORTED:
            problems.append((*where, f"the type {raw_type!r} is not one a template supports"))
            continue
        if raw_type == "begin group":
            if section is not None:
                problems.append((*where, "a group inside a group: a template's sections do not nest"))
            section = {"key": name, "title": _label_of(row) or {"fa": name}, "questions": []}
            sections.append(section)
            continue
        if raw_type == "end group":
            section = None
            continue
        if section is None:
            problems.append((*where, "a question outside a group: every question belongs to a section (group)"))
            continue
        if raw_type == "begin repeat":
            repeat = {"key": name, "type": "photo", "label": _label_of(row) or {"fa": name}, "_row": row}
            continue
        if raw_type == "end repeat":
            if repeat:
                question = {"key": repeat["key"], "type": "photo", "label": repeat["label"]}
                _common(repeat["_row"], question, types, problems, ("survey", number))
                section["questions"].append(question)
                types[repeat["key"]] = "photo"
            repeat = None
            continue
        if repeat is not None:
            if head != "image" or str(row.get("parameters") or "max-pixels").split("=")[0] != "max-pixels":
                problems.append((*where, "a repeat may hold only the image of a photo question"))
            elif row.get("required") in ("yes", "true", "TRUE", True):
                repeat["_row"] = {**repeat["_row"], "required": "yes"}
            continue
        if head == "image":
            problems.append((*where, "an image outside a repeat: a photo question is a repeat of one image"))
            continue
        if not _KEY.match(name):
            problems.append((*where, f"the name {name!r} is not a template key (snake_case, starting with a letter)"))
            continue
        question = {"key": name}
        if head in ("select_one", "select_multiple"):
            listed = choices.get(tail)
            if tail == YES_NO_LIST and head == "select_one":
                question["type"] = "yes_no"
            elif not listed:
                problems.append((*where, f"the choice list {tail!r} is missing from the choices sheet"))
                continue
            else:
                question["type"] = head
                question["choices"] = [{"value": c["value"], "label": c["label"]} for c in listed]
        else:
            question["type"] = {"geopoint": "location"}.get(raw_type, raw_type)
        question["label"] = _label_of(row) or {"fa": name}
        _common(row, question, types, problems, where)
        section["questions"].append(question)
        types[name] = question["type"]
    if problems:
        raise XLSFormError(problems)
    title = {"fa": settings.get("form_title") or code or settings.get("form_id")}
    if settings.get("fs_title_en"):
        title["en"] = settings["fs_title_en"]
    description = {lang: settings[f"fs_description_{lang}"] for lang in LANGS if settings.get(f"fs_description_{lang}")}
    template_code = code or str(settings.get("form_id") or "")
    try:
        template_version = version or int(str(settings.get("version") or "1").split(".")[0])
    except ValueError as error:
        raise XLSFormError([("settings", 2, f"version {settings.get('version')!r} is not a number")]) from error
    template = {"code": template_code, "version": template_version, "title": title, "sections": sections}
    if description:
        template["description"] = description
    return template


def _common(row: dict, question: dict, types: dict, problems: list, where) -> None:
    """help, required, relevant and constraint of a row, onto ``question`` (document order)."""
    help_ = _label_of(row, "hint")
    if help_:
        question["help"] = help_
    if str(row.get("required") or "").strip().lower() in ("yes", "true", "true()"):
        question["required"] = True
    if row.get("relevant"):
        condition = _parse_relevant(str(row["relevant"]), types, problems, where)
        if condition:
            question["show_if"] = condition
    if row.get("constraint"):
        _parse_constraint(str(row["constraint"]), question, problems, where)
    for column in row:
        if column.split("::")[0] in ("calculation", "default", "choice_filter", "repeat_count", "read_only",
                                     "trigger", "parameters") and row[column] not in (None, ""):
            problems.append((*where, f"the column {column!r} is not something a template can hold"))
