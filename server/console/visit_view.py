"""Laying out a visit's answers by its template's sections, for the visit page.

Pure functions over the template document and the answers, so they are easy to test: each
question becomes a row with its label and the answer in words (choice labels, yes/no,
Jalali dates, localised numbers). Questions hidden by their ``show_if`` are left out;
answers to questions the template does not have are kept in an extra section rather than
dropped, so a supervisor never misses something the engineer sent.
"""

import math
from datetime import date

from server.console import i18n, jalali
from server.console.labels import pick
from sync.templates import shown_keys

SKIPPED_TYPES = ("note",)


def _choice_labels(question: dict) -> dict:
    return {c["value"]: c.get("label") for c in question.get("choices", [])}


def answer_text(question: dict, value, lang: str) -> str:
    """One answer in words for ``lang``."""
    kind = question.get("type")
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if kind == "select_one":
        return pick(_choice_labels(question).get(value), lang, str(value))
    if kind == "select_multiple" and isinstance(value, list):
        labels = _choice_labels(question)
        return i18n.join((pick(labels.get(v), lang, str(v)) for v in value), lang)
    if kind == "yes_no" and isinstance(value, bool):
        return i18n.translate(lang, "common.yes" if value else "common.no")
    if kind == "date" and isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value
        return f"{jalali.jalali_date(day, lang)} ({value})"
    if kind == "photo":
        count = len(value) if isinstance(value, list) else 1
        return i18n.translate(lang, "visit.photo_count", count=count)
    if kind == "location" and isinstance(value, dict):
        return f"{value.get('lat')}, {value.get('lon')}"
    if kind in ("integer", "decimal") and isinstance(value, int | float) and not isinstance(value, bool):
        return i18n.localize_digits(value, lang)
    if isinstance(value, list):
        return i18n.join(value, lang)
    return str(value)


def layout(definition: dict | None, answers: dict, lang: str) -> list[dict]:
    """``[{"key", "title", "items": [{"key", "label", "type", "value", "text", "answered"}]}]``."""
    answers = answers or {}
    sections, known = [], set()
    if definition:
        try:
            visible = shown_keys(definition, answers)
        except ValueError:
            visible = None  # a template that no longer compiles: show every question
        for section in definition.get("sections", []):
            items = []
            for question in section.get("questions", []):
                known.add(question["key"])
                if question.get("type") in SKIPPED_TYPES:
                    continue
                if visible is not None and question["key"] not in visible:
                    continue
                value = answers.get(question["key"])
                text = answer_text(question, value, lang)
                items.append({"key": question["key"], "label": pick(question.get("label"), lang, question["key"]),
                              "type": question.get("type"), "value": value, "text": text, "answered": text != ""})
            if items:
                sections.append({"key": section["key"], "title": pick(section.get("title"), lang, section["key"]),
                                 "items": items})
    extra = [{"key": k, "label": k, "type": None, "value": v, "text": answer_text({}, v, lang),
              "answered": True} for k, v in answers.items() if k not in known]
    if extra:
        sections.append({"key": "_other", "title": i18n.translate(lang, "visit.other_answers"), "items": extra})
    return sections


def photo_hashes(definition: dict | None, answers: dict, attachments) -> list[str]:
    """Every attachment the visit refers to: its attachment list and its photo answers."""
    found = list(attachments or [])
    for section in (definition or {}).get("sections", []):
        for question in section.get("questions", []):
            if question.get("type") != "photo":
                continue
            value = (answers or {}).get(question["key"])
            found.extend(value if isinstance(value, list) else [value] if isinstance(value, str) else [])
    return list(dict.fromkeys(found))


def changed_answers(before: dict, after: dict) -> list[str]:
    """Question keys whose answer differs between two versions (added, removed or changed)."""
    before, after = before or {}, after or {}
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def distance_m(a: dict | None, b: dict | None) -> int | None:
    """Great-circle distance in metres between two ``{"lat", "lon"}`` points, or None."""
    if not a or not b or a.get("lat") is None or b.get("lat") is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return round(2 * 6_371_000 * math.asin(math.sqrt(h)))


def question_labels(definition: dict | None, lang: str) -> dict[str, str]:
    """Question key → label, for every question of the template (hidden ones included)."""
    return {q["key"]: pick(q.get("label"), lang, q["key"])
            for s in (definition or {}).get("sections", []) for q in s.get("questions", [])}
