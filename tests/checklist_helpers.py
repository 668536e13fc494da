"""Shared by the checklist, obstacle, history, attachment and review tests."""

import copy

from tests.conftest import TEHRAN
from tests.helpers import DIAGNOSIS_V1, diagnosis_answers

# A small template with every key the history and statistics read, and a photo question.
MINI = {
    "code": "mini",
    "version": 1,
    "title": {"fa": "بازدید کوتاه", "en": "Short visit"},
    "sections": [{
        "key": "status",
        "title": {"fa": "وضعیت"},
        "questions": [
            {"key": "unit_status", "type": "select_one", "label": {"fa": "وضعیت واحد"}, "required": True,
             "choices": [{"value": s, "label": {"fa": s}} for s in ("active", "semi_active", "stalled", "closed")]},
            {"key": "employees_now", "type": "integer", "label": {"fa": "شاغلان فعلی"}, "required": True,
             "min": 0, "max": 100000},
            {"key": "capacity_utilisation", "type": "decimal", "label": {"fa": "درصد استفاده از ظرفیت"},
             "min": 0, "max": 100},
            {"key": "photos", "type": "photo", "label": {"fa": "عکس‌ها"}},
        ],
    }],
}


def mini(version=1, **changes) -> dict:
    doc = copy.deepcopy(MINI)
    doc["version"] = version
    doc.update(changes)
    return doc


def obstacle(group="finance.working_capital", **more) -> dict:
    return {"area": group.split(".")[0], "group": group, "severity": "high",
            "description": "کمبود نقدینگی برای خرید مواد اولیه", "responsible_body": "bank", **more}


def new_unit(device, name="صنایع غذایی مهر", province_id=TEHRAN, **fields) -> str:
    return device.create_unit({"name": name, "province_id": province_id, **fields})


def record(device, unit_id, template=DIAGNOSIS_V1, answers=None, observed=None, **more) -> str:
    """Record a visit on ``device`` (diagnosis answers by default); ``observed`` sets its clock."""
    if observed:
        from sync.clock import parse_time

        device.clock = lambda: parse_time(observed)
    return device.record_visit(unit_id, diagnosis_answers() if answers is None else answers,
                               template=template, **more)


def results(device) -> list[dict]:
    """The server's answer to every mutation the device sent, in order."""
    return [device.acked()[m] for m in sorted(device.acked())]


def review(api, visit_id, action, comment=None):
    return api.post(f"/api/v1/visits/{visit_id}/review", {"action": action, "comment": comment})
