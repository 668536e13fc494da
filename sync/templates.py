"""Checklist templates: the document format, its validation, and validation of filled answers.

A template is a plain JSON/YAML document (see docs/checklists.md). Everything here is a pure
function over such documents except the file loaders at the bottom. Definition problems are
reported as ``{"path": "sections[2].questions[0].choices", "message": "..."}`` dicts so the HTTP
layer and the CLI can show them unchanged; answer problems are ``{question_key: [messages]}``.

Decisions worth knowing (documented in docs/checklists.md):
* Answers to questions hidden by ``show_if`` are ignored, not rejected: a device filling a form
  offline may keep a stale answer after the engineer changes an earlier one, and refusing the
  whole visit for that would lose real data. ``clean_answers`` drops them before storage.
* ``null``, blank strings and empty lists/objects all mean "not answered".
* Answers to unknown questions and answers to ``note`` questions are errors: those are client bugs.
* A date question may be bounded by the day of the visit (``"max": "visit_date"``): "stalled
  since" cannot be after the visit, a follow-up cannot be before it. That bound needs the
  visit's day, which only the caller knows; without it, only fixed bounds are checked.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from sync.normalize import to_ascii_digits

QUESTION_TYPES = (
    "text",
    "integer",
    "decimal",
    "yes_no",
    "select_one",
    "select_multiple",
    "date",
    "location",
    "photo",
    "note",
)
SELECT_TYPES = frozenset({"select_one", "select_multiple"})
NUMERIC_TYPES = frozenset({"integer", "decimal"})
# A condition compares an answer with plain values; notes have no answer, and photos/locations
# have no meaningful equality, so they cannot drive a show_if.
CONDITION_SOURCE_TYPES = frozenset(
    {"text", "integer", "decimal", "yes_no", "select_one", "select_multiple", "date"}
)

DEFAULT_TEXT_MAX_LENGTH = 4000
# Error key for problems with the answers object as a whole. Question keys are snake_case
# starting with a letter, so this can never collide with one.
FORM_KEY = "_form"

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
CHOICE_VALUE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A date bound that means "the day the visit was made" (Tehran time, as the device saw it).
VISIT_DATE = "visit_date"

_TEMPLATE_FIELDS = frozenset({"code", "version", "title", "description", "sections"})
_SECTION_FIELDS = frozenset({"key", "title", "questions"})
_QUESTION_FIELDS = frozenset(
    {"key", "type", "label", "required", "min", "max", "max_length", "choices", "show_if", "help"}
)
_CHOICE_FIELDS = frozenset({"value", "label"})
_LABEL_FIELDS = frozenset({"fa", "en"})
_LOCATION_FIELDS = frozenset({"lat", "lon", "accuracy"})

Problem = dict[str, str]


class DocumentError(ValueError):
    """A document is not valid; ``errors`` holds every problem found as path/message dicts."""

    kind = "document"

    def __init__(self, errors: list[Problem]):
        self.errors = errors
        shown = "; ".join(f"{e['path'] or '(document)'}: {e['message']}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"invalid {self.kind}: {shown}{more}")


class TemplateError(DocumentError):
    """A template (or template file) is not valid."""

    kind = "template"


# ---------------------------------------------------------------------------
# Small shared helpers (the taxonomy module uses them too)
# ---------------------------------------------------------------------------


def problem(path: str, message: str) -> Problem:
    return {"path": path, "message": message}


def join_path(base: str, part: str) -> str:
    """``join_path("sections[0]", "key")`` -> ``sections[0].key``; index parts start with '['."""
    if not base or part.startswith("["):
        return f"{base}{part}"
    return f"{base}.{part}"


def unknown_field_problems(obj: Mapping, allowed: frozenset[str], path: str) -> list[Problem]:
    # Unknown fields are rejected rather than ignored: a typo such as "requird" would otherwise
    # silently change the meaning of a published template.
    return [
        problem(join_path(path, str(name)), f"unknown field {str(name)!r}")
        for name in obj
        if name not in allowed
    ]


def bare_yaml_word(value: Any) -> str:
    """A hint when a string was expected and a YAML file gave a boolean: YAML 1.1 reads bare
    ``yes``, ``no``, ``on`` and ``off`` as true/false, the commonest slip in a template
    written by hand (a yes/no question's choices)."""
    if isinstance(value, bool):
        return (f" (got {str(value).lower()}: in YAML, quote words such as yes, no, on and off,"
                f" e.g. \"no\")")
    return ""


def label_problems(value: Any, path: str) -> list[Problem]:
    """Problems with a label object ``{"fa": "...", "en": "..."?}``; Persian is mandatory."""
    if not isinstance(value, dict):
        return [problem(path, 'must be an object like {"fa": "...", "en": "..."}')]
    found = unknown_field_problems(value, _LABEL_FIELDS, path)
    fa = value.get("fa")
    if not isinstance(fa, str) or not fa.strip():
        found.append(problem(join_path(path, "fa"), "a Persian label (fa) is required"))
    if "en" in value and (not isinstance(value["en"], str) or not value["en"].strip()):
        found.append(problem(join_path(path, "en"), "must be a non-empty string when given"))
    return found


def is_number(value: Any) -> bool:
    """A finite JSON number. bool is excluded (it is an int in Python); ints are exact."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def is_blank(value: Any) -> bool:
    """What counts as "not answered": null, whitespace-only text, empty list or object."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (list, dict)) and not value


def parse_iso_date(value: Any) -> date | None:
    """A ``YYYY-MM-DD`` Gregorian date, or None when ``value`` is anything else."""
    if not isinstance(value, str) or not _DATE_RE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


# ---------------------------------------------------------------------------
# Definition validation
# ---------------------------------------------------------------------------


def validate_definition(doc: Any) -> list[Problem]:
    """Every problem with a template document; an empty list means it is valid."""
    if not isinstance(doc, dict):
        return [problem("", "a template must be a JSON object")]
    found = unknown_field_problems(doc, _TEMPLATE_FIELDS, "")
    code = doc.get("code")
    if not isinstance(code, str) or not KEY_RE.match(code):
        found.append(problem("code", "must be a snake_case identifier such as 'diagnosis'"))
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        found.append(problem("version", "must be a positive integer"))
    found += label_problems(doc.get("title"), "title")
    if "description" in doc:
        found += label_problems(doc["description"], "description")
    sections = doc.get("sections")
    if not isinstance(sections, list) or not sections:
        found.append(problem("sections", "must be a non-empty list of sections"))
        return found
    found += _sections_problems(sections)
    return found


def _sections_problems(sections: list) -> list[Problem]:
    found: list[Problem] = []
    all_keys = _all_question_keys(sections)
    earlier: dict[str, tuple[str, dict]] = {}  # question key -> (path, question) in document order
    section_keys: dict[str, str] = {}
    for si, section in enumerate(sections):
        path = f"sections[{si}]"
        if not isinstance(section, dict):
            found.append(problem(path, "a section must be an object"))
            continue
        found += unknown_field_problems(section, _SECTION_FIELDS, path)
        key = section.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            found.append(problem(join_path(path, "key"), "must be a snake_case identifier"))
        elif key in section_keys:
            found.append(
                problem(join_path(path, "key"), f"duplicate section key {key!r} "
                        f"(first used at {section_keys[key]})")
            )
        else:
            section_keys[key] = path
        found += label_problems(section.get("title"), join_path(path, "title"))
        questions = section.get("questions")
        if not isinstance(questions, list) or not questions:
            found.append(problem(join_path(path, "questions"), "must be a non-empty list"))
            continue
        for qi, question in enumerate(questions):
            qpath = f"{path}.questions[{qi}]"
            found += _question_problems(question, qpath, earlier, all_keys)
            qkey = question.get("key") if isinstance(question, dict) else None
            if isinstance(qkey, str) and qkey not in earlier:
                earlier[qkey] = (qpath, question)
    return found


def _all_question_keys(sections: list) -> set[str]:
    return {
        q["key"]
        for s in sections
        if isinstance(s, dict) and isinstance(s.get("questions"), list)
        for q in s["questions"]
        if isinstance(q, dict) and isinstance(q.get("key"), str)
    }


def _question_problems(
    question: Any, path: str, earlier: dict[str, tuple[str, dict]], all_keys: set[str]
) -> list[Problem]:
    if not isinstance(question, dict):
        return [problem(path, "a question must be an object")]
    found = unknown_field_problems(question, _QUESTION_FIELDS, path)
    key = question.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        found.append(problem(join_path(path, "key"), "must be a snake_case identifier "
                             "(lower-case ASCII letters, digits and _, starting with a letter)"
                             + bare_yaml_word(key)))
    elif key in earlier:
        found.append(problem(join_path(path, "key"),
                             f"duplicate question key {key!r} (first used at {earlier[key][0]})"))
    found += label_problems(question.get("label"), join_path(path, "label"))
    if "help" in question:
        found += label_problems(question["help"], join_path(path, "help"))
    if "required" in question and not isinstance(question["required"], bool):
        found.append(problem(join_path(path, "required"), "must be true or false"))
    qtype = question.get("type")
    if qtype not in QUESTION_TYPES:
        found.append(problem(join_path(path, "type"), f"unknown question type {qtype!r}; "
                             f"expected one of: {', '.join(QUESTION_TYPES)}"))
    else:
        found += _type_specific_problems(question, qtype, path)
    if "show_if" in question:
        found += _condition_problems(question["show_if"], join_path(path, "show_if"),
                                     key, earlier, all_keys)
    return found


def _type_specific_problems(question: dict, qtype: str, path: str) -> list[Problem]:
    found: list[Problem] = []
    if qtype == "note" and question.get("required") is True:
        found.append(problem(join_path(path, "required"),
                             "a note is display-only and cannot be required"))
    found += _range_problems(question, qtype, path)
    if "max_length" in question:
        limit = question["max_length"]
        if qtype != "text":
            found.append(problem(join_path(path, "max_length"),
                                 "max_length applies only to text questions"))
        elif isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            found.append(problem(join_path(path, "max_length"), "must be a positive integer"))
    if qtype in SELECT_TYPES:
        found += _choices_problems(question.get("choices"), join_path(path, "choices"))
    elif "choices" in question:
        found.append(problem(join_path(path, "choices"),
                             "choices apply only to select_one and select_multiple questions"))
    return found


def _range_problems(question: dict, qtype: str, path: str) -> list[Problem]:
    bounds = {name: question[name] for name in ("min", "max") if name in question}
    if not bounds:
        return []
    if qtype == "date":
        return _date_range_problems(bounds, path)
    if qtype not in NUMERIC_TYPES:
        return [problem(join_path(path, name), "min/max apply only to integer, decimal and date "
                        "questions") for name in bounds]
    found: list[Problem] = []
    for name, bound in bounds.items():
        if qtype == "integer" and (isinstance(bound, bool) or not isinstance(bound, int)):
            found.append(problem(join_path(path, name), "must be an integer"))
        elif not is_number(bound):
            found.append(problem(join_path(path, name), "must be a number"))
    if not found and len(bounds) == 2 and bounds["min"] > bounds["max"]:
        found.append(problem(join_path(path, "min"),
                             f"min ({bounds['min']}) is greater than max ({bounds['max']})"))
    return found


def _date_range_problems(bounds: dict, path: str) -> list[Problem]:
    found: list[Problem] = []
    for name, bound in bounds.items():
        if bound == VISIT_DATE:
            continue
        parsed = parse_iso_date(bound)
        if parsed is None:
            found.append(problem(join_path(path, name), f"must be a Gregorian date written "
                                 f"YYYY-MM-DD or {VISIT_DATE!r} (the day of the visit)"))
        elif parsed.year < 1600:
            found.append(problem(join_path(path, name), f"{bound} looks like a Solar Hijri "
                                 "(Jalali) date; write the Gregorian date"))
    literal = not found and len(bounds) == 2 and VISIT_DATE not in bounds.values()
    if literal and bounds["min"] > bounds["max"]:
        found.append(problem(join_path(path, "min"),
                             f"min ({bounds['min']}) is after max ({bounds['max']})"))
    return found


def _choices_problems(choices: Any, path: str) -> list[Problem]:
    if not isinstance(choices, list) or not choices:
        return [problem(path, "a select question needs a non-empty list of choices")]
    found: list[Problem] = []
    seen: dict[str, int] = {}
    for ci, choice in enumerate(choices):
        cpath = f"{path}[{ci}]"
        if not isinstance(choice, dict):
            found.append(problem(cpath, 'a choice must be an object {"value", "label"}'))
            continue
        found += unknown_field_problems(choice, _CHOICE_FIELDS, cpath)
        value = choice.get("value")
        if not isinstance(value, str) or not CHOICE_VALUE_RE.match(value):
            found.append(problem(join_path(cpath, "value"), "must be a short code of ASCII "
                                 "letters, digits, '_', '.' or '-' (the Persian text goes in "
                                 "label)" + bare_yaml_word(value)))
        elif value in seen:
            found.append(problem(join_path(cpath, "value"),
                                 f"duplicate choice value {value!r} (also {path}[{seen[value]}])"))
        else:
            seen[value] = ci
        found += label_problems(choice.get("label"), join_path(cpath, "label"))
    return found


def _condition_problems(
    cond: Any, path: str, own_key: Any, earlier: dict[str, tuple[str, dict]], all_keys: set[str]
) -> list[Problem]:
    if not isinstance(cond, dict):
        return [problem(path, 'must be {"question": key, "equals": value} or '
                        '{"question": key, "in": [values]}')]
    found = unknown_field_problems(cond, frozenset({"question", "equals", "in"}), path)
    if ("equals" in cond) == ("in" in cond):
        found.append(problem(path, "give exactly one of 'equals' or 'in'"))
    target_key = cond.get("question")
    qpath = join_path(path, "question")
    if not isinstance(target_key, str):
        return [*found, problem(qpath, "must be the key of an earlier question")]
    if target_key not in earlier:
        if target_key == own_key:
            reason = "a question cannot depend on itself"
        elif target_key in all_keys:
            reason = (f"refers to {target_key!r}, which comes later; show_if may only refer "
                      "to an earlier question")
        else:
            reason = f"refers to unknown question {target_key!r}"
        return [*found, problem(qpath, reason)]
    target = earlier[target_key][1]
    if target.get("type") not in CONDITION_SOURCE_TYPES:
        return [*found, problem(qpath, f"a condition cannot depend on a "
                                       f"{target.get('type')!r} question")]
    if "in" in cond:
        values = cond["in"]
        if not isinstance(values, list) or not values:
            return [*found, problem(join_path(path, "in"), "must be a non-empty list of values")]
        for vi, value in enumerate(values):
            message = _condition_value_problem(target, value)
            if message:
                found.append(problem(f"{join_path(path, 'in')}[{vi}]", message))
    elif "equals" in cond:
        message = _condition_value_problem(target, cond["equals"])
        if message:
            found.append(problem(join_path(path, "equals"), message))
    return found


def _condition_value_problem(target: dict, value: Any) -> str | None:
    """Why ``value`` can never equal an answer to ``target``, or None when it can."""
    qtype = target.get("type")
    if qtype in SELECT_TYPES:
        choices = target.get("choices") if isinstance(target.get("choices"), list) else []
        values = {c.get("value") for c in choices if isinstance(c, dict)}
        if not isinstance(value, str) or value not in values:
            return (f"{short_repr(value)} is not one of the choices of {target.get('key')!r}"
                    + bare_yaml_word(value))
        return None
    ok = {
        "yes_no": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "decimal": is_number(value),
        "text": isinstance(value, str),
        "date": parse_iso_date(value) is not None,
    }[qtype]
    if ok:
        return None
    key = target.get("key")
    return (f"{short_repr(value)} can never be an answer to the {qtype} question {key!r}"
            + (bare_yaml_word(value) if qtype == "text" else ""))


def ensure_valid_definition(doc: Any) -> dict:
    """Return ``doc`` unchanged when valid; raise TemplateError with every problem otherwise."""
    found = validate_definition(doc)
    if found:
        raise TemplateError(found)
    return doc


# ---------------------------------------------------------------------------
# Compiled form, for answer validation
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    question: str
    values: tuple[Any, ...]  # "equals" becomes a one-element tuple

    @cached_property
    def texts(self) -> frozenset[str]:
        """The values that are text: a text answer meets the condition exactly when it is one
        of them (see _same), found in one look-up; most conditions name choices."""
        return frozenset(v for v in self.values if type(v) is str)

    @cached_property
    def yes_no(self) -> frozenset[bool]:
        """The values that are true or false: a yes/no answer meets the condition exactly when
        it is one of them (``_same``: True is not 1)."""
        return frozenset(v for v in self.values if type(v) is bool)


@dataclass(frozen=True)
class Question:
    key: str
    type: str
    section: str
    required: bool = False
    minimum: int | float | str | None = None  # a date question's bounds are YYYY-MM-DD or VISIT_DATE
    maximum: int | float | str | None = None
    max_length: int = DEFAULT_TEXT_MAX_LENGTH
    choices: frozenset[str] = frozenset()
    show_if: Condition | None = None


@dataclass(frozen=True)
class Template:
    """A validated template reduced to what answer validation needs. Cache it per version."""

    code: str
    version: int
    questions: tuple[Question, ...]  # document order, which is also dependency order

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    @cached_property
    def keys(self) -> frozenset[str]:
        return frozenset(q.key for q in self.questions)

    @cached_property
    def plan(self) -> tuple:
        """What :func:`check_answers` reads of each question, in document order: the question,
        its key and type, its condition's source and text values, and a test that a text
        answer needs no further check (None when every answer goes to the type's checker)."""
        return tuple((q, q.key, q.type, q.show_if and q.show_if.question, q.show_if and q.show_if.texts,
                      _text_accepted(q)) for q in self.questions)


def compile_template(doc: Any) -> Template:
    """Validate ``doc`` and reduce it to a Template; raises TemplateError when invalid."""
    ensure_valid_definition(doc)
    questions = []
    for section in doc["sections"]:
        for q in section["questions"]:
            cond = q.get("show_if")
            questions.append(Question(
                key=q["key"],
                type=q["type"],
                section=section["key"],
                required=q.get("required", False),
                minimum=q.get("min"),
                maximum=q.get("max"),
                max_length=q.get("max_length", DEFAULT_TEXT_MAX_LENGTH),
                choices=frozenset(c["value"] for c in q.get("choices", [])),
                show_if=None if cond is None else Condition(
                    cond["question"], tuple(cond["in"]) if "in" in cond else (cond["equals"],)),
            ))
    return Template(code=doc["code"], version=doc["version"], questions=tuple(questions))


def _as_template(definition: Template | Mapping) -> Template:
    return definition if isinstance(definition, Template) else compile_template(definition)


# ---------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    # True == 1 in Python; a yes/no answer must not satisfy "equals": 1 or the reverse.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return type(a) is type(b) and a == b or (is_number(a) and is_number(b) and a == b)


def _condition_met(cond: Condition, answer: Any) -> bool:
    if is_blank(answer):
        return False
    if type(answer) is str:
        return answer in cond.texts
    if isinstance(answer, list):  # select_multiple: shown when any selected value matches
        return any(_same(item, v) for item in answer if not isinstance(item, (list, dict))
                   for v in cond.values)
    return any(_same(answer, v) for v in cond.values)


def shown_keys(definition: Template | Mapping, answers: Any) -> frozenset[str]:
    """Keys of the questions shown for these answers. A question whose condition depends on a
    hidden question is hidden too (its source counts as unanswered)."""
    return frozenset(check_answers(definition, answers if isinstance(answers, dict) else {}).shown)


def validate_answers(definition: Template | Mapping, answers: Any,
                     visit_date: date | None = None) -> dict[str, list[str]]:
    """Field-level problems with ``answers`` (question key -> messages); empty when valid.

    ``definition`` is a template document or a compiled Template; an invalid definition raises
    TemplateError (it should have been validated on upload). Garbage ``answers`` never raise.
    ``visit_date`` is the day the visit was made, for date bounds written ``"visit_date"``;
    those bounds are not checked without it.
    """
    return check_answers(definition, answers, visit_date).errors


def clean_answers(definition: Template | Mapping, answers: Any) -> dict[str, Any]:
    """The answers worth storing: shown, known, non-note questions with a non-blank value."""
    return check_answers(definition, answers).cleaned


class CheckedAnswers(NamedTuple):
    errors: dict[str, list[str]]  # as validate_answers
    cleaned: dict[str, Any]  # as clean_answers
    photos: list[str]  # as photo_refs
    shown: set[str]  # as shown_keys


def check_answers(definition: Template | Mapping, answers: Any, visit_date: date | None = None) -> CheckedAnswers:
    """:func:`validate_answers`, :func:`clean_answers`, :func:`photo_refs` and
    :func:`shown_keys` in one pass over the questions: a push checks every visit of its batch
    before taking the write lock, and this pass is most of that check. The common cases —
    a condition on a text or yes/no answer, whether a text, None, whole number or yes/no is
    blank, a text or a choice that is fine — are decided inline; anything else goes to the
    general rule (``_condition_met``, ``is_blank``, the type's checker), so both agree."""
    template = _as_template(definition)
    if not isinstance(answers, dict):
        return CheckedAnswers({FORM_KEY: ["answers must be an object mapping question keys to values"]}, {}, [],
                              set())
    errors: dict[str, list[str]] = {}
    if not template.keys.issuperset(answers):
        for key in answers:
            if key not in template.keys:
                errors.setdefault(str(key), []).append("unknown question")
    shown: set[str] = set()  # document order is dependency order
    cleaned: dict[str, Any] = {}
    refs: dict[str, None] = {}
    get = answers.get
    for q, key, kind, source, texts, accepted in template.plan:
        if source is not None:
            if source not in shown:
                visible = False
            else:
                given = get(source)
                given_type = type(given)
                if given_type is str:
                    visible = given in texts and bool(given.strip())
                elif given_type is bool:
                    visible = given in q.show_if.yes_no
                else:
                    visible = _condition_met(q.show_if, given)
            if visible:
                shown.add(key)
        else:
            shown.add(key)
            visible = True
        value = get(key)
        value_type = type(value)
        if value_type is str:
            blank = not value.strip()
        else:
            blank = value is None or (value_type is not int and value_type is not bool and is_blank(value))
        if kind == "note":
            if not blank:
                errors.setdefault(key, []).append("a note is display-only and takes no answer")
            continue
        if not visible:
            continue  # hidden: ignored on purpose, see the module docstring
        if blank:
            if q.required:
                errors.setdefault(key, []).append("this question is required")
            continue
        cleaned[key] = value
        if value_type is str and accepted is not None and accepted(value):
            continue  # a text within its length, or one of the choices
        messages = _VALUE_CHECKS[kind](q, value)
        if kind == "date" and not messages:
            messages = _date_range_messages(q, parse_iso_date(value), visit_date)
        if messages:
            errors.setdefault(key, []).extend(messages)
        if kind == "photo":
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and SHA256_RE.match(item):
                    refs[item] = None
    return CheckedAnswers(errors, cleaned, list(refs), shown)


def example_answers(definition: Template | Mapping, overrides: Mapping | None = None,
                    visit_date: date | None = None) -> dict[str, Any]:
    """Answers for code that fills a form (tests, demo data): ``overrides`` as given (a None
    value drops that key; a bad value stays, to build an invalid visit on purpose), then
    every shown required question still unanswered gets a plausible value. Valid whenever
    the overrides are (for a visit made on or after 2020-03-20 when a date must not be
    after the visit and ``visit_date`` is not given)."""
    template = _as_template(definition)
    answers = {k: v for k, v in (overrides or {}).items() if v is not None}
    # Document order is dependency order, so each condition sees its source already filled.
    for q in template.questions:
        if q.required and q.key not in answers and q.key in shown_keys(template, answers):
            answers[q.key] = _example_date(q, visit_date) if q.type == "date" else _example_value(q)
    return answers


# Nowruz 1399: early enough to come before any visit made with this system.
_EXAMPLE_DATE = date(2020, 3, 20)


def _example_date(q: Question, visit_date: date | None) -> str:
    low, high = _bound(q.minimum, visit_date), _bound(q.maximum, visit_date)
    if low is None and q.minimum == VISIT_DATE:
        low = date.today()  # the visit is being made now, as far as we know
    day = low or _EXAMPLE_DATE
    return (high if high is not None and day > high else day).isoformat()


_EXAMPLE_PHOTO = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # sha256 of b""


def _example_value(q: Question) -> Any:
    if q.type in NUMERIC_TYPES:
        low = q.minimum if q.minimum is not None else 0
        return low if q.maximum is None or low <= q.maximum else q.maximum
    return {
        "text": "نمونه"[: q.max_length],
        "yes_no": False,
        "select_one": min(q.choices, default=None),
        "select_multiple": [min(q.choices)] if q.choices else [],
        "location": {"lat": 35.7, "lon": 51.4},
        "photo": [_EXAMPLE_PHOTO],
    }[q.type]


def photo_refs(definition: Template | Mapping, answers: Any) -> list[str]:
    """SHA-256 hashes referenced by shown photo questions, deduplicated, in answer order.
    Malformed values are skipped (validate_answers reports them)."""
    return check_answers(definition, answers).photos


# --- one checker per question type; each returns messages for a non-blank value -------------


def _range_messages(q: Question, value: int | float) -> list[str]:
    if q.minimum is not None and value < q.minimum:
        return [f"must be at least {q.minimum}"]
    if q.maximum is not None and value > q.maximum:
        return [f"must be at most {q.maximum}"]
    return []


def _check_text(q: Question, value: Any) -> list[str]:
    if not isinstance(value, str):
        return ["must be text"]
    if len(value) > q.max_length:
        return [f"must be at most {q.max_length} characters"]
    return []


def _text_accepted(q: Question) -> Callable[[str], bool] | None:
    """For text and choice questions, a test that a text answer is fine, which it is exactly
    when the type's checker has nothing to say (``_check_text``, ``_check_select_one``)."""
    if q.type == "text":
        return lambda value, limit=q.max_length: len(value) <= limit
    if q.type == "select_one":
        return q.choices.__contains__
    return None


_NUMBER_TEXT_RE = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$")


def _number_hint(value: Any) -> str:
    """Why a value that looks like a number is not one: a client bug worth naming exactly."""
    if isinstance(value, str) and _NUMBER_TEXT_RE.match(to_ascii_digits(value).replace("٫", ".")):
        return f" (got the text {short_repr(value)}: send a JSON number with ASCII digits, without quotes)"
    return ""


def _check_integer(q: Question, value: Any) -> list[str]:
    if isinstance(value, float) and value.is_integer():
        return [f"must be a whole number (send {int(value)}, not {value})"]
    if isinstance(value, bool) or not isinstance(value, int):
        return ["must be a whole number" + _number_hint(value)]
    return _range_messages(q, value)


def _check_decimal(q: Question, value: Any) -> list[str]:
    if not is_number(value):
        return ["must be a number" + _number_hint(value)]
    return _range_messages(q, value)


def _check_yes_no(q: Question, value: Any) -> list[str]:
    return [] if isinstance(value, bool) else ["must be true or false"]


def _check_select_one(q: Question, value: Any) -> list[str]:
    if not isinstance(value, str) or value not in q.choices:
        return [f"{short_repr(value)} is not one of the choices: {', '.join(sorted(q.choices))}"]
    return []


def _check_select_multiple(q: Question, value: Any) -> list[str]:
    if not isinstance(value, list):
        return ["must be a list of choice values"]
    messages = [f"{short_repr(item)} is not one of the choices: {', '.join(sorted(q.choices))}"
                for item in value if not isinstance(item, str) or item not in q.choices]
    hashable = [item for item in value if isinstance(item, str)]
    if len(set(hashable)) != len(hashable):
        messages.append("a choice is selected more than once")
    return messages


def _bound(bound: Any, visit_date: date | None) -> date | None:
    return visit_date if bound == VISIT_DATE else parse_iso_date(bound)


def _date_range_messages(q: Question, day: date, visit_date: date | None) -> list[str]:
    low, high = _bound(q.minimum, visit_date), _bound(q.maximum, visit_date)
    if low is not None and day < low:
        if q.minimum == VISIT_DATE:
            return [f"must not be before the day of the visit ({low.isoformat()})"]
        return [f"must be on or after {low.isoformat()}"]
    if high is not None and day > high:
        if q.maximum == VISIT_DATE:
            return [f"must not be after the day of the visit ({high.isoformat()})"]
        return [f"must be on or before {high.isoformat()}"]
    return []


def _check_date(q: Question, value: Any) -> list[str]:
    parsed = parse_iso_date(value)
    if parsed is None:
        return ["must be a Gregorian date written YYYY-MM-DD"]
    if parsed.year < 1600:
        # Engineers think in the Solar Hijri calendar; a year like 1402 is a conversion slip.
        return [f"{value} looks like a Solar Hijri (Jalali) date; send the Gregorian date"]
    return []


def _check_location(q: Question, value: Any) -> list[str]:
    if not isinstance(value, dict):
        return ['must be an object {"lat": ..., "lon": ...}']
    messages = [f"unknown field {str(name)!r}" for name in value if name not in _LOCATION_FIELDS]
    for name, limit in (("lat", 90), ("lon", 180)):
        coord = value.get(name)
        if not is_number(coord) or not -limit <= coord <= limit:
            messages.append(f"{name} must be a number between -{limit} and {limit}")
    accuracy = value.get("accuracy")
    if accuracy is not None and (not is_number(accuracy) or accuracy < 0):
        messages.append("accuracy must be a non-negative number of metres")
    return messages


def _check_photo(q: Question, value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    messages = []
    for item in items:
        if isinstance(item, str) and SHA256_RE.match(item.lower()) and item != item.lower():
            messages.append(f"{short_repr(item)}: write the SHA-256 in lower case")
        elif not isinstance(item, str) or not SHA256_RE.match(item):
            messages.append(f"{short_repr(item)} is not a SHA-256 hex digest")
    hashable = [item for item in items if isinstance(item, str)]
    if len(set(hashable)) != len(hashable):
        messages.append("the same photo is listed more than once")
    return messages


def _check_nothing(q: Question, value: Any) -> list[str]:
    return []


_VALUE_CHECKS: dict[str, Callable[[Question, Any], list[str]]] = {
    "text": _check_text,
    "integer": _check_integer,
    "decimal": _check_decimal,
    "yes_no": _check_yes_no,
    "select_one": _check_select_one,
    "select_multiple": _check_select_multiple,
    "date": _check_date,
    "location": _check_location,
    "photo": _check_photo,
    "note": _check_nothing,
}


def short_repr(value: Any) -> str:
    """A repr short enough for an error message, whatever garbage the client sent."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def _reject_duplicate_keys(pairs: Iterable[tuple[str, Any]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


class _StrictYamlLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (YAML silently keeps the last one) and keeps
    dates as ``YYYY-MM-DD`` strings so a YAML template means the same as its JSON twin."""

    def construct_mapping(self, node, deep=False):
        self.flatten_mapping(node)
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:  # unhashable key: let the base class report it
                break
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


_StrictYamlLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def read_document(path: str | Path) -> Any:
    """Parse a ``.json``, ``.yaml`` or ``.yml`` file (UTF-8, BOM tolerated).

    Raises ValueError for unparsable content or an unknown extension, OSError when unreadable.
    """
    path = Path(path)
    text = path.read_bytes().decode("utf-8-sig")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    if suffix in (".yaml", ".yml"):
        try:
            return yaml.load(text, Loader=_StrictYamlLoader)  # a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise ValueError(str(exc)) from exc
    raise ValueError(f"{path.name}: expected a .json, .yaml or .yml file")


def load_template_file(path: str | Path) -> dict:
    """Read and validate a template file; raises TemplateError listing every problem."""
    try:
        doc = read_document(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TemplateError([problem("", f"cannot read {Path(path).name}: {exc}")]) from exc
    return ensure_valid_definition(doc)


DEFAULT_TEMPLATE_PATH = Path(__file__).parent / "data" / "diagnosis_template.json"


def default_template() -> dict:
    """The shipped Persian diagnosis template (code ``diagnosis``, version 1)."""
    return load_template_file(DEFAULT_TEMPLATE_PATH)
