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


def answer_text(question: dict, value, lang: str, display: bool = True) -> str:
    """One answer in words for ``lang``. ``display``: for a page, with the page's digits in
    typed text and coordinates; an export (False) keeps what was typed as typed."""
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
    if kind == "location" and isinstance(value, dict) and not display:
        return f"{value.get('lat')}, {value.get('lon')}"
    if kind == "location" and isinstance(value, dict):
        try:
            shown = [i18n.decimal(f"{float(value.get(k)):.5f}", lang) for k in ("lat", "lon")]
        except (TypeError, ValueError):
            return str(value)
        return i18n.join(shown, lang)
    if kind in ("integer", "decimal") and isinstance(value, int | float) and not isinstance(value, bool):
        return i18n.localize_digits(value, lang)
    if isinstance(value, list):
        return i18n.join(value, lang)
    return i18n.localize_digits(str(value), lang) if display else str(value)


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


def photo_entries(definition: dict | None, answers: dict, attachments) -> list[dict]:
    """Every file the visit refers to, each once, with the photo question that holds it:
    ``[{"sha256", "question"}]`` — photo answers in template order first, then files of the
    visit's attachment list that no question names (``question`` None)."""
    found: dict[str, str | None] = {}
    for section in (definition or {}).get("sections", []):
        for question in section.get("questions", []):
            if question.get("type") != "photo":
                continue
            value = (answers or {}).get(question["key"])
            for sha in value if isinstance(value, list) else [value] if isinstance(value, str) else []:
                if isinstance(sha, str):
                    found.setdefault(sha, question["key"])
    for sha in attachments or []:
        if isinstance(sha, str):
            found.setdefault(sha, None)
    return [{"sha256": sha, "question": key} for sha, key in found.items()]


def photo_hashes(definition: dict | None, answers: dict, attachments) -> list[str]:
    """Every attachment the visit refers to: its attachment list and its photo answers."""
    return [e["sha256"] for e in photo_entries(definition, answers, attachments)]


def photo_questions(definitions) -> list[tuple[str, dict]]:
    """(key, label) of every photo question of these templates, each key once, in order."""
    found = {}
    for definition in definitions:
        for section in (definition or {}).get("sections", []):
            for question in section.get("questions", []):
                if question.get("type") == "photo":
                    found.setdefault(question["key"], question.get("label"))
    return list(found.items())


def changed_answers(before: dict, after: dict) -> list[str]:
    """Question keys whose answer differs between two versions (added, removed or changed)."""
    before, after = before or {}, after or {}
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def answer_changes(definition: dict | None, before: dict, after: dict, lang: str) -> list[dict]:
    """What a revision changed, answer by answer, in words: ``[{"key", "label", "old", "new"}]``
    in template order (answers the template does not know last). An answer removed or added
    has an empty side."""
    keys = changed_answers(before, after)
    questions = {q["key"]: q for s in (definition or {}).get("sections", []) for q in s.get("questions", [])}
    order = {key: i for i, key in enumerate(questions)}
    keys.sort(key=lambda k: (order.get(k, len(order)), k))
    return [{"key": k, "label": pick(questions.get(k, {}).get("label"), lang, k),
             "old": answer_text(questions.get(k, {}), (before or {}).get(k), lang),
             "new": answer_text(questions.get(k, {}), (after or {}).get(k), lang)} for k in keys]


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
