"""Realistic visits for the default diagnosis template: demo data, benchmarks, load and tests.

Everything here is valid against the shipped template (``diagnosis`` v1) and taxonomy, so
callers exercise the real validation path rather than a shortcut.
"""

import random

from sync.taxonomy import default_taxonomy

TEMPLATE_REF = {"code": "diagnosis", "version": 1}

_RESPONDENTS = ["محمد رضایی", "علی کریمی", "حسین احمدی", "زهرا موسوی", "مهدی حسینی", "فاطمه جعفری"]
_PRODUCTS = ["رب گوجه‌فرنگی و کنسرو", "کاشی و سرامیک", "قطعات خودرو", "لوله و اتصالات پلی‌اتیلن",
             "نخ و پارچه", "مبلمان اداری", "بسته‌بندی مقوایی", "داروهای گیاهی", "آجر نسوز", "روغن خوراکی"]
_SUMMARIES = ["کمبود سرمایه در گردش عامل اصلی کاهش تولید است.",
              "خط تولید به دلیل فرسودگی تجهیزات نیمه‌فعال است.",
              "بدهی معوق بانکی و توقف خرید مواد اولیه.",
              "قطعی مکرر برق در ماه‌های گرم سال تولید را متوقف می‌کند.",
              "بازار فروش محصول کاهش یافته و انبار پر است."]
_ACTIONS = ["معرفی به بانک عامل برای تسهیلات سرمایه در گردش", "پیگیری تقسیط بدهی تأمین اجتماعی",
            "هماهنگی با اداره برق برای تأمین انشعاب پایدار", "بازسازی خط تولید با مشاوره فنی",
            "معرفی به نمایشگاه‌های تخصصی برای توسعه بازار"]
_OBSTACLE_TEXT = {
    "finance": "کمبود نقدینگی برای خرید مواد اولیه",
    "market": "کاهش تقاضا و رقابت با کالای وارداتی",
    "technical": "فرسودگی ماشین‌آلات و نبود قطعات یدکی",
    "legal": "بدهی معوق مالیاتی و تأمین اجتماعی",
}


def diagnosis_answers(rng: random.Random | None = None, unit_status: str | None = None,
                      employees_now: int | None = None, employees_capacity: int | None = None,
                      capacity_utilisation: float | None = None, photos=()) -> dict:
    """A complete, valid answer set for the diagnosis template (about 40 answers)."""
    rng = rng or random.Random(0)
    status = unit_status or rng.choice(["active", "semi_active", "stalled", "closed"])
    capacity = employees_capacity if employees_capacity is not None else rng.randint(10, 250)
    now = employees_now if employees_now is not None else (
        0 if status == "closed" else rng.randint(0, capacity) if status != "active" else capacity)
    use = capacity_utilisation if capacity_utilisation is not None else (
        {"active": 85.0, "semi_active": 40.0, "stalled": 5.0, "closed": 0.0}[status])
    answers = {
        "unit_name_seen": "صنایع " + rng.choice(["البرز", "مهر", "پارس", "آریا", "سپاهان"]),
        "national_id": str(rng.randint(10_000_000_000, 14_999_999_999)),
        "respondent_name": rng.choice(_RESPONDENTS),
        "respondent_role": rng.choice(["owner", "factory_manager", "employee"]),
        "respondent_phone": f"0912{rng.randint(1_000_000, 9_999_999)}",
        "unit_location": {"lat": round(35.6 + rng.random() / 10, 6), "lon": round(51.3 + rng.random() / 10, 6)},
        "activity_sector": rng.choice(["food", "textile", "chemical", "non_metallic"]),
        "main_products": rng.choice(_PRODUCTS),
        "nominal_capacity": f"{rng.randint(1, 90) * 100} تن در سال",
        "operation_start_year": rng.randint(1370, 1400),
        "unit_status": status,
        "capacity_utilisation": use,
        "employees_now": now,
        "employees_capacity": capacity,
        "electricity_status": rng.choice(["ok", "outages", "insufficient"]),
        "gas_status": rng.choice(["ok", "not_needed", "outages"]),
        "water_status": "ok",
        "raw_material_supply": rng.choice(["ok", "expensive", "scarce"]),
        "raw_materials_main": "گرانول پلی‌اتیلن و مواد شیمیایی",
        "has_bank_facilities": True,
        "bank_name": rng.choice(["بانک صنعت و معدن", "بانک ملی", "بانک توسعه تعاون"]),
        "overdue_bank_debt": True,
        "overdue_debt_amount": float(rng.randint(500, 90_000)),
        "working_capital_need": float(rng.randint(1_000, 50_000)),
        "has_government_debts": True,
        "government_debts": ["tax", "social_security"],
        "sales_markets": ["local", "national"],
        "sales_trend": rng.choice(["stable", "decreasing", "no_sales"]),
        "market_problems": "رقابت با محصولات وارداتی ارزان",
        "operating_licence": "valid",
        "licence_number": str(rng.randint(100_000, 999_999)),
        "environment_permit": "has",
        "land_status": "deed",
        "equipment_condition": rng.choice(["good", "usable", "worn"]),
        "equipment_age_years": rng.randint(3, 35),
        "summary": rng.choice(_SUMMARIES),
        "recommended_actions": rng.choice(_ACTIONS),
        "followup_needed": False,
    }
    if status in ("stalled", "closed"):
        answers["status_since"] = f"202{rng.randint(2, 5)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
    if status != "active":
        answers["stop_main_reason"] = rng.choice(["finance", "market", "raw_material", "technical"])
        answers["revival_potential"] = rng.choice(["high", "medium", "low"])
    if status in ("active", "semi_active"):
        answers["shifts_per_day"] = rng.randint(1, 3)
    if photos:
        answers["photos"] = list(photos)
    return answers


def sample_obstacles(rng: random.Random | None = None, count: int = 3) -> list[dict]:
    """``count`` obstacles from different groups of the starter taxonomy."""
    rng = rng or random.Random(0)
    taxonomy = default_taxonomy()
    groups = [(area["code"], group["code"]) for area in taxonomy["areas"] for group in area["groups"]]
    bodies = [body["code"] for body in taxonomy["responsible_bodies"]]
    return [{"area": area, "group": group, "severity": rng.choice(["low", "medium", "high", "critical"]),
             "description": _OBSTACLE_TEXT[area], "proposed_action": rng.choice(_ACTIONS),
             "responsible_body": rng.choice(bodies)}
            for area, group in rng.sample(groups, count)]
