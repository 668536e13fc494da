"""Cross-check of ``fieldsync dedup`` on an independent labelled generator.

    .venv/bin/python bench/dedup_crosscheck.py                    # 6,500 records, default mix
    .venv/bin/python bench/dedup_crosscheck.py --size 100000
    .venv/bin/python bench/dedup_crosscheck.py --mix sparse --seed 7
    .venv/bin/python bench/dedup_crosscheck.py --robustness       # the input contract only
    .venv/bin/python bench/dedup_crosscheck.py --errors 40        # show misjudged pairs
    .venv/bin/python bench/dedup_crosscheck.py --root /tmp/old    # another checkout's code, same file

The engine was fitted on ``sync/dedup/generator.py``. This script shares nothing
with it (no import from ``sync`` at all, on purpose): its own geography, name
vocabulary, record sources, noise model and traps, written from the list of
what real records look like in issue 3. It writes ``bench/out/xcheck-*.jsonl``
and the truth beside it, runs the real command as a child process
(``.venv/bin/fieldsync dedup IN --out OUT``) and prints pairwise precision,
recall, F1, wall time and peak memory.

How records are made. An *entity* is one real unit: a firm's plant with a
name, a legal id, a licence, a landline and a manager's mobile, an owner, an
activity, a position in a park (or a town address). Each *record* of an entity
comes from one *source* with its own habits - an agency spreadsheet (full legal
name, ids, landline, no GPS), a field engineer's phone (short name, GPS, the
manager's mobile, no ids), an import from another system (province as a number,
numbers as numbers, coordinates as text) - so two records of one unit often
share little besides the name. Traps are extra entities built to look like an
existing one (see ``_trap``).
"""

import argparse
import csv
import json
import math
import os
import random
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
CLI = ROOT / ".venv" / "bin" / "fieldsync"

# --- geography: (province, reference id, area code, [(town, lat, lon, [parks])]) -----------
# Coordinates are approximate town centres; parks sit a few km out of town. Park names
# repeat across provinces on purpose (محمودآباد, the park named after its town).
PROVINCES = [
    ("تهران", 8, "21", [
        ("تهران", 35.689, 51.389, ["خاوران", "شمس‌آباد"]),
        ("پاکدشت", 35.475, 51.680, ["عباس‌آباد"]),
        ("ورامین", 35.325, 51.647, ["چرمشهر"]),
        ("شهریار", 35.659, 51.059, ["نصیرآباد"]),
        ("اسلامشهر", 35.552, 51.235, ["صفادشت"]),
        ("دماوند", 35.718, 52.065, ["دماوند"]),
    ]),
    ("البرز", 5, "26", [
        ("کرج", 35.840, 50.939, ["سیمین‌دشت", "بهارستان"]),
        ("اشتهارد", 35.723, 50.366, ["اشتهارد"]),
        ("نظرآباد", 35.952, 50.607, ["کوثر"]),
    ]),
    ("اصفهان", 4, "31", [
        ("اصفهان", 32.654, 51.668, ["محمودآباد", "جی", "سجزی"]),
        ("کاشان", 33.983, 51.436, ["امیرکبیر"]),
        ("نجف‌آباد", 32.634, 51.366, ["نجف‌آباد"]),
        ("شاهین‌شهر", 32.858, 51.553, ["مورچه‌خورت", "رازی"]),
    ]),
    ("قم", 18, "25", [
        ("قم", 34.640, 50.876, ["شکوهیه", "محمودآباد", "سلفچگان"]),
    ]),
    ("مرکزی", 27, "86", [
        ("اراک", 34.092, 49.689, ["ایبک‌آباد", "خیرآباد"]),
        ("ساوه", 35.021, 50.357, ["کاوه"]),
    ]),
    ("قزوین", 17, "28", [
        ("قزوین", 36.269, 50.004, ["لیا", "آراسنج"]),
        ("البرز", 36.195, 50.079, ["البرز"]),
        ("تاکستان", 36.070, 49.696, ["تاکستان"]),
    ]),
    ("خراسان رضوی", 11, "51", [
        ("مشهد", 36.297, 59.606, ["توس", "کلات"]),
        ("نیشابور", 36.213, 58.796, ["خیام"]),
        ("چناران", 36.645, 59.121, ["چناران"]),
    ]),
    ("آذربایجان شرقی", 1, "41", [
        ("تبریز", 38.080, 46.292, ["شهید سلیمی", "رازی"]),
        ("مراغه", 37.389, 46.237, ["مراغه"]),
    ]),
    ("فارس", 19, "71", [
        ("شیراز", 29.592, 52.584, ["بزرگ شیراز", "شیراز ۲"]),
        ("مرودشت", 29.874, 52.802, ["مرودشت"]),
    ]),
    ("یزد", 31, "35", [
        ("یزد", 31.897, 54.357, ["یزد", "خضرآباد"]),
        ("اردکان", 32.310, 54.017, ["اردکان"]),
    ]),
    ("خوزستان", 13, "61", [
        ("اهواز", 31.318, 48.670, ["اهواز ۲", "حمیدیه"]),
        ("دزفول", 32.382, 48.402, ["دزفول"]),
    ]),
    ("گیلان", 24, "13", [
        ("رشت", 37.280, 49.583, ["سفیدرود", "حاجی‌بکنده"]),
        ("لاهیجان", 37.207, 50.004, ["لاهیجان"]),
    ]),
    ("مازندران", 28, "11", [
        ("ساری", 36.563, 53.060, ["ساری"]),
        ("آمل", 36.470, 52.350, ["آمل"]),
        ("قائم‌شهر", 36.463, 52.860, ["قائم‌شهر"]),
    ]),
    ("کرمان", 21, "34", [
        ("کرمان", 30.283, 57.079, ["خضرا"]),
        ("سیرجان", 29.452, 55.681, ["سیرجان"]),
    ]),
    ("سمنان", 15, "23", [
        ("سمنان", 35.573, 53.395, ["سمنان"]),
        ("گرمسار", 35.218, 52.340, ["گرمسار"]),
    ]),
    ("همدان", 30, "81", [
        ("همدان", 34.799, 48.515, ["بوعلی"]),
        ("ملایر", 34.297, 48.823, ["ملایر"]),
    ]),
    ("زنجان", 14, "24", [
        ("زنجان", 36.674, 48.485, ["علی‌آباد"]),
        ("ابهر", 36.146, 49.218, ["ابهر"]),
    ]),
    ("آذربایجان غربی", 2, "44", [
        ("ارومیه", 37.552, 45.076, ["ارومیه ۲"]),
    ]),
    ("کرمانشاه", 22, "83", [
        ("کرمانشاه", 34.314, 47.065, ["فرامان"]),
    ]),
    ("گلستان", 25, "17", [
        ("گرگان", 36.841, 54.443, ["آق‌قلا"]),
    ]),
    ("لرستان", 26, "66", [
        ("خرم‌آباد", 33.487, 48.356, ["خرم‌آباد"]),
        ("بروجرد", 33.897, 48.752, ["بروجرد"]),
    ]),
    ("هرمزگان", 29, "76", [
        ("بندرعباس", 27.183, 56.267, ["بندرعباس"]),
    ]),
]

def _words(text: str) -> list[str]:
    return text.split()


# --- firms ------------------------------------------------------------------------------
# (sector words that may stand in a firm's name, products/activities of the sector)
SECTORS = [
    (["صنایع غذایی", "غذایی", "فرآورده‌های غذایی"],
     ["تولید رب گوجه‌فرنگی", "کنسرو ماهی", "تولید بیسکویت و کیک", "لبنیات پاستوریزه",
      "تولید ماکارونی", "بسته‌بندی خرما", "روغن نباتی", "آب‌میوه و نوشابه"]),
    (["پلاستیک", "پلیمر", "صنایع پلاستیک"],
     ["تولید لوله و اتصالات پلی‌اتیلن", "ظروف یکبار مصرف", "نایلون و نایلکس",
      "قطعات پلاستیکی تزریقی", "گرانول بازیافتی"]),
    (["نساجی", "ریسندگی", "بافندگی"],
     ["ریسندگی نخ پنبه", "بافت پارچه", "تولید پتو", "فرش ماشینی", "تولید جوراب"]),
    (["فولاد", "ذوب آهن", "نورد"],
     ["نورد میلگرد", "تولید پروفیل فولادی", "ریخته‌گری چدن", "تولید ورق گالوانیزه"]),
    (["شیمیایی", "صنایع شیمیایی", "شیمی"],
     ["تولید شوینده", "رنگ و رزین", "چسب صنعتی", "مواد آرایشی و بهداشتی"]),
    (["کاشی و سرامیک", "کاشی", "سرامیک"],
     ["تولید کاشی دیواری", "سرامیک کف", "چینی بهداشتی"]),
    (["مصالح ساختمانی", "بتن", "آجر"],
     ["تولید بلوک سیمانی", "بتن آماده", "آجر ماشینی", "تولید گچ"]),
    (["چوب", "صنایع چوب", "مبلمان"],
     ["تولید مبلمان اداری", "ام دی اف", "درب و پنجره چوبی", "کابینت آشپزخانه"]),
    (["الکتریک", "برق", "الکترونیک"],
     ["تابلو برق صنعتی", "سیم و کابل", "لامپ ال ای دی", "ترانسفورماتور"]),
    (["قطعه‌سازی", "قطعات خودرو", "خودرو"],
     ["لنت ترمز", "فنر خودرو", "قطعات موتور", "صندلی خودرو"]),
    (["دارویی", "داروسازی", "تجهیزات پزشکی"],
     ["تولید قرص و کپسول", "سرم تزریقی", "سرنگ یکبار مصرف", "پانسمان"]),
    (["بسته‌بندی", "کارتن‌سازی", "چاپ و بسته‌بندی"],
     ["کارتن سه لایه", "چاپ روی سلفون", "کیسه کاغذی"]),
    (["ماشین‌سازی", "ماشین‌آلات", "تجهیزات صنعتی"],
     ["ماشین‌آلات کشاورزی", "تجهیزات بسته‌بندی", "پمپ و شیرآلات", "دیگ بخار"]),
]

# Brand words. Many carry the letters people swap by sound (ص س ث، ط ت، ظ ذ ض ز، ح ه، غ ق).
BRANDS = _words("""
آریا پارس ایران نوین البرز دماوند سهند سبلان زاگرس کوثر سپید زرین آفتاب ستاره نگین یاقوت
فیروزه الماس آوا پویا پیشرو بهین بهار رویال مهرگان کیمیا آرمان امید فجر طلوع صبا صدف صفا
طاها ظریف ضیاء حافظ غدیر ثمین حامی صالح طراوت صنوبر طلایی ذرت سحر سحاب ثریا صبح طاووس
حریر غزال قصر طیف ظفر صدرا محراب حکمت رضوان فرهنگ مهتاب ماهان تابان درخشان روشن آذر
آذرخش تندیس پرشین کاوه کاوش سپهر سپاهان نقش جهان آسیا اطلس تکین توسن راد رادین رایان
ساینا شایان شهاب شهریار فراز فرزان فردوس فرناز کیان گلستان گلرنگ لاله مانا مبین میثاق
نیکان نیلوفر هامون هیرمند یکتا یگانه آرین آروین آسا آسمان اترک ارس افق اکسیر الوند
امین اهورا باران برلیان بنیان بهنام پارسا پاک پرتو پگاه پیروز تیام جاوید جهان چکاد
خاتم خزر دانا دلتا دیبا رامین رسا رستاک زمرد ژیوار ساحل سامان سرو سورن سیمرغ شاهد شفق
شکوه صحرا طبرستان عقیق فانوس قلم کهربا کوهرنگ گوهر مروارید مهرآسا میلاد نامی ناژو نسیم
نور هما همای ونوس ویستا آبشار آتیه ارغوان استوار اکباتان ایلیا بامداد برنا بیستون پایا
پردیس پژواک تلاش توانا جم حصین خورشید دریا دنا رهنما ریحان سازه سپنتا سیمین شمس صائب
ضحی طوبی ظهیر عرشیا غنچه قائم کارون گیتی مهسا نقره هدیش هونام یاس آیدا بیتا تارا رخشان
""")

# Second words that make a brand of two words ("کیمیا گستر", "سپهر صنعت").
BRAND_SECOND = _words("""
گستر سازان صنعت پارس نوین آریا کار پویا تجارت ایرانیان شرق غرب طب پلاست گداز ریس افزار
""")

FIRST_NAMES = _words("""
محمد علی حسین رضا مهدی حسن احمد مجید سعید جواد امیر عباس ناصر فرهاد کامران بهروز مسعود
حمید غلامرضا محمدرضا اکبر اصغر یوسف فاطمه زهرا مریم لیلا سارا نرگس طاهره صدیقه
""")
FAMILY_NAMES = _words("""
رضایی کریمی احمدی محمدی حسینی موسوی جعفری صادقی رحیمی قاسمی طاهری صالحی ظهیری حیدری
غفاری ثابتی صفوی طالبی ضیایی ذاکری حسن‌زاده قلی‌زاده نوری اکبری عسگری فرهادی باقری
کاظمی مرادی عزیزی نجفی زارعی شریفی توکلی یزدانی نیک‌نام مهدوی سلیمانی ابراهیمی
خسروی اسدی فتحی امینی دهقان سلطانی تقوی شجاعی رستمی پورمحمد عبدالهی
""")

STREETS = _words("""
صنعت بهار نسترن لاله یاس ارغوان صنوبر کاج چنار اقاقیا شهید بهشتی آزادی انقلاب جمهوری
مطهری امام رضا فردوسی حافظ سعدی مولوی کارگر ابن‌سینا
""")

STATUSES = ["فعال", "نیمه‌فعال", "نیمه فعال", "راکد", "تعطیل", "در حال احداث", "active", None]


# --- the legal id's check digit (issue 3) -------------------------------------------------

def check_digit(first_ten: str) -> int:
    bump = int(first_ten[9]) + 2
    weights = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)
    total = sum((int(c) + bump) * w for c, w in zip(first_ten, weights, strict=True)) % 11
    return 0 if total == 10 else total


def new_legal_id(rng: random.Random) -> str:
    head = rng.choice(["10", "14"]) + "".join(rng.choice("0123456789") for _ in range(8))
    return head + str(check_digit(head))


# --- text noise ---------------------------------------------------------------------------

FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
SOUND_ALIKE = ["زذضظ", "سصث", "تط", "هح", "قغ"]
DOT_SLIPS = ["بپتثن", "جچحخ", "دذ", "رزژ", "سش", "صض", "طظ", "عغ", "فق", "کگ"]
# neighbours on the standard Persian keyboard, row by row
KEY_ROWS = ["ضصثقفغعهخحجچ", "شسیبلاتنمکگ", "ظطزرذدپو"]
DIACRITICS = "\u064e\u064f\u0650\u0651\u064b\u0652"


def arabic_keyboard(text: str, rng: random.Random) -> str:
    """As typed on an Arabic layout: ي and ك, ة/ى at word ends, hamza seats."""
    out = []
    words = text.split(" ")
    for w in words:
        w = w.replace("ی", "ي").replace("ک", "ك")
        if w.endswith("ي") and rng.random() < 0.5:
            w = w[:-1] + "ى"
        if w.endswith("ه") and len(w) > 2 and rng.random() < 0.4:
            w = w[:-1] + rng.choice("ةۀ")
        if w.startswith("ا") and rng.random() < 0.3:
            w = rng.choice("أإ") + w[1:]
        if w.startswith("آ") and rng.random() < 0.5:
            w = "ا" + w[1:]
        out.append(w)
    return " ".join(out)


def zwnj_variant(text: str, rng: random.Random) -> str:
    """Each ZWNJ kept, made a space or dropped - the writer's habit, the same for one record."""
    choice = rng.choice(["\u200c", " ", ""])
    return text.replace("\u200c", choice)


def decorate(text: str, rng: random.Random, level: float) -> str:
    """Tatweel, diacritics, doubled or outer spaces."""
    if not text:
        return text
    chars = list(text)
    if rng.random() < 0.08 * level:
        spots = [i for i in range(1, len(chars)) if chars[i - 1] not in " ‌اآدذرزژو" and chars[i] != " "]
        if spots:
            chars.insert(rng.choice(spots), "ـ")
    if rng.random() < 0.06 * level:
        spots = [i for i in range(1, len(chars) + 1) if chars[i - 1] != " "]
        chars.insert(rng.choice(spots), rng.choice(DIACRITICS))
    text = "".join(chars)
    if rng.random() < 0.1 * level:
        text = text.replace(" ", "  ", 1)
    if rng.random() < 0.05 * level:
        text = " " + text + " "
    return text


def typo(word: str, rng: random.Random) -> str:
    """One slip in a word: a sound-alike letter, a dot slip, a neighbour key, a letter lost,
    doubled, or two letters swapped."""
    if len(word) < 3:
        return word
    kind = rng.choices(["sound", "dots", "key", "drop", "double", "swap"], [4, 2, 2, 2, 1, 1])[0]
    positions = list(range(len(word)))
    rng.shuffle(positions)
    if kind in ("sound", "dots", "key"):
        for i in positions:
            c = word[i]
            if kind == "key":
                row = next((r for r in KEY_ROWS if c in r), None)
                if row is None:
                    continue
                k = row.index(c)
                options = [row[j] for j in (k - 1, k + 1) if 0 <= j < len(row)]
            else:
                group = next((g for g in (SOUND_ALIKE if kind == "sound" else DOT_SLIPS) if c in g), None)
                if group is None:
                    continue
                options = [x for x in group if x != c]
            return word[:i] + rng.choice(options) + word[i + 1:]
        kind = "drop"
    i = rng.randrange(1, len(word) - 1)
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]


def digits_as(text: str, rng: random.Random, fa: float = 0.4, ar: float = 0.1) -> str:
    r = rng.random()
    if r < fa:
        return text.translate(FA_DIGITS)
    if r < fa + ar:
        return text.translate(AR_DIGITS)
    return text


# --- entities -----------------------------------------------------------------------------

@dataclass
class Entity:
    key: str
    brand: list[str]  # distinctive words, in the firm's own order
    sector: int
    sector_word: str
    numbered: str  # "" or the plant number this unit carries (2, 3)
    legal_id: str
    licence: str
    landline: str  # 8 digits
    mobile: str  # 10 digits, 9…
    area: str
    province: int
    town: int
    park: str  # "" when in town
    lat: float
    lon: float
    street: str
    plate: int
    owner_first: str
    owner_family: str
    activity: str
    employees: int
    name_extra: str = ""  # a word some names carry after the brand (ایرانیان)


@dataclass
class Mix:
    """How noisy and how sparse records are, and how often traps appear."""

    size: int = 6500
    seed: int = 1
    dup_share: float = 0.42  # share of entities with more than one record
    mean_extra: float = 1.0  # mean extra records of a duplicated entity (geometric)
    noise: float = 1.0  # scales spelling noise
    missing: float = 1.0  # scales dropped fields
    traps: float = 0.12  # trap entities per ordinary entity
    formats: float = 1.0  # scales odd value types and spellings of "missing"
    sources: dict = field(default_factory=lambda: {"registry": 0.35, "field": 0.45, "import": 0.2})


MIXES = {
    "default": Mix(),
    "sparse": Mix(missing=1.8),
    "noisy": Mix(noise=2.0),
    "traps": Mix(traps=0.35),
    "field": Mix(sources={"registry": 0.1, "field": 0.8, "import": 0.1}),
    "clean": Mix(noise=0.3, missing=0.4, formats=0.3),
}


def _zipf_choice(rng: random.Random, items: list, skew: float = 1.0):
    """Pick with weight 1/(rank+2)^skew: a few words are everywhere, most are rare."""
    weights = _ZIPF.setdefault((len(items), skew), [1 / (r + 2) ** skew for r in range(len(items))])
    return rng.choices(items, weights)[0]


_ZIPF: dict = {}
_PLACES = [(p, t) for p in range(len(PROVINCES)) for t in range(len(PROVINCES[p][3]))]
# bigger towns hold more units: Tehran and its parks first
_PLACE_WEIGHTS = [3.0 if t == 0 else 1.0 for p, t in _PLACES]
_PLACE_WEIGHTS = [w * (3.0 if p == 0 else 1.5 if p < 3 else 1.0) for (p, _), w in
                  zip(_PLACES, _PLACE_WEIGHTS, strict=True)]


def _offset(lat: float, lon: float, metres: float, rng: random.Random) -> tuple[float, float]:
    angle = rng.uniform(0, 2 * math.pi)
    dlat = metres * math.cos(angle) / 111_320
    dlon = metres * math.sin(angle) / (111_320 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def _park_centre(p: int, t: int, k: int) -> tuple[float, float]:
    """A park's centre: a fixed few km from its town, the same every run."""
    _, _, _, towns = PROVINCES[p]
    _, lat, lon, _ = towns[t][:4]
    local = random.Random(p * 1000 + t * 10 + k)
    return _offset(lat, lon, local.uniform(3000, 14000), local)


def new_entity(key: str, rng: random.Random, place: tuple[int, int] | None = None) -> Entity:
    p, t = place or rng.choices(_PLACES, _PLACE_WEIGHTS)[0]
    province, pid, area, towns = PROVINCES[p]
    town, lat, lon, parks = towns[t]
    sector = rng.randrange(len(SECTORS))
    words, products = SECTORS[sector]
    shape = rng.random()
    if shape < 0.35:
        brand = [_zipf_choice(rng, BRANDS, 0.8)]
    elif shape < 0.65:
        brand = [_zipf_choice(rng, BRANDS, 0.8), rng.choice(BRAND_SECOND)]
    elif shape < 0.8:
        brand = [_zipf_choice(rng, BRANDS, 0.6), _zipf_choice(rng, BRANDS, 0.6)]
    elif shape < 0.92:
        brand = ["برادران", rng.choice(FAMILY_NAMES)]
    else:
        brand = [rng.choice(FAMILY_NAMES), "و", "پسران"]
    if rng.random() < 0.82 and parks:
        k = rng.randrange(len(parks))
        park = parks[k]
        clat, clon = _park_centre(p, t, k)
        lat, lon = _offset(clat, clon, rng.uniform(0, 1200), rng)
    else:
        park = ""
        lat, lon = _offset(lat, lon, rng.uniform(200, 6000), rng)
    return Entity(
        key=key, brand=brand, sector=sector, sector_word=rng.choice(words), numbered="",
        legal_id=new_legal_id(rng), licence=str(rng.randrange(10_000, 9_999_999)),
        landline=str(rng.randrange(2, 10)) + "".join(rng.choice("0123456789") for _ in range(7)),
        mobile="9" + rng.choice(["12", "13", "19", "35", "36", "38", "01", "02", "90", "91"])
        + "".join(rng.choice("0123456789") for _ in range(7)),
        area=area, province=p, town=t, park=park, lat=lat, lon=lon,
        street=rng.choice(STREETS) if rng.random() < 0.6 else str(rng.randrange(1, 30)),
        plate=rng.randrange(1, 400), owner_first=rng.choice(FIRST_NAMES),
        owner_family=rng.choice(FAMILY_NAMES), activity=rng.choice(products),
        employees=max(2, int(rng.lognormvariate(3, 1))),
        name_extra=rng.choice(["", "", "", "", "ایرانیان", "ایران", "نوین"]),
    )


def _trap(base: Entity, key: str, rng: random.Random) -> Entity:
    """An entity built to look like ``base`` while being another unit."""
    fresh = new_entity(key, rng)
    kind = rng.choices(["brand", "province", "plant", "legal", "namesake"], [3, 3, 3, 2, 1])[0]
    if kind == "brand":
        # another firm, same brand, other sector, the same park, often next door
        sector = rng.choice([s for s in range(len(SECTORS)) if s != base.sector])
        near = rng.random() < 0.4
        lat, lon = _offset(base.lat, base.lon, rng.uniform(30, 150) if near else rng.uniform(200, 900), rng)
        return replace(fresh, brand=list(base.brand), sector=sector,
                       sector_word=rng.choice(SECTORS[sector][0]),
                       activity=rng.choice(SECTORS[sector][1]), province=base.province,
                       town=base.town, park=base.park, area=base.area, lat=lat, lon=lon,
                       name_extra=base.name_extra, street=base.street if near else fresh.street)
    if kind == "province":
        # the same name in another province
        return replace(fresh, brand=list(base.brand), sector=base.sector, sector_word=base.sector_word,
                       activity=base.activity if rng.random() < 0.5 else rng.choice(SECTORS[base.sector][1]),
                       name_extra=base.name_extra)
    if kind == "plant":
        # a second plant of the same firm: same legal id and owner, often the same park
        lat, lon = _offset(base.lat, base.lon, rng.uniform(250, 2500), rng)
        return replace(base, key=key, numbered=rng.choice(["2", "2", "3"]), lat=lat, lon=lon,
                       landline=fresh.landline, licence=fresh.licence,
                       mobile=base.mobile if rng.random() < 0.5 else fresh.mobile,
                       plate=fresh.plate, employees=fresh.employees)
    if kind == "legal":
        # one firm, two units far apart sharing its legal id (names may differ)
        return replace(fresh, legal_id=base.legal_id, owner_first=base.owner_first,
                       owner_family=base.owner_family,
                       brand=list(base.brand) if rng.random() < 0.6 else fresh.brand,
                       sector=base.sector, sector_word=base.sector_word,
                       activity=rng.choice(SECTORS[base.sector][1]))
    # a firm with the same name in the same town, somewhere else in it
    fresh = new_entity(key, rng, (base.province, base.town))
    return replace(fresh, brand=list(base.brand), sector=base.sector, sector_word=base.sector_word,
                   activity=rng.choice(SECTORS[base.sector][1]), name_extra=base.name_extra)


# --- records ------------------------------------------------------------------------------

LEGAL_PREFIXES = ["شرکت", "شرکت", "کارخانه", "کارخانجات", "مجتمع", "گروه صنعتی", "شرکت تولیدی",
                  "تولیدی", "صنایع", "شرکت تعاونی", "تعاونی تولیدی", "مجتمع تولیدی"]
LEGAL_SUFFIXES = ["(سهامی خاص)", "سهامی خاص", "ش.س.خ", "(ش.س.خ)", "ش س خ", "با مسئولیت محدود",
                  "(با مسئولیت محدود)", "بامسئولیت محدود", "(سهامی عام)", "- سهامی خاص"]
PLANT_FORMS = ["شماره {n}", "{n}", "واحد {n}", "(واحد {n})", "- {n}", "شماره{n}", "کارخانه {n}"]
NUMBER_WORDS = {"2": "دو", "3": "سه"}


def typed_name(e: Entity, rng: random.Random, src: str, mix: Mix) -> str:
    brand = list(e.brand)
    if e.name_extra and rng.random() < 0.7:
        brand.append(e.name_extra)
    sector = e.sector_word
    # spreadsheets keep the sector word; engineers often write the brand alone
    keep_sector = rng.random() < {"registry": 0.9, "field": 0.7, "import": 0.8}[src]
    if brand[0] == "برادران" or brand[-1] == "پسران":
        keep_sector = keep_sector and rng.random() < 0.4
    words = brand
    if keep_sector:
        words = [sector] + brand if rng.random() < 0.6 else brand + [sector]
    if len(brand) == 2 and brand[1] in BRAND_SECOND and rng.random() < 0.25 * mix.noise:
        # "کیمیا گستر" written as one word, or with a ZWNJ
        glued = brand[0] + rng.choice(["", "\u200c"]) + brand[1]
        words = [w for w in words if w not in brand[:2]]
        words.insert(0 if words and words[0] == sector else len(words), glued)
    if (len(brand) >= 2 and "و" not in brand and brand[0] != "برادران" and brand[0] in words
            and brand[1] in words and rng.random() < 0.06 * mix.noise):
        i, j = words.index(brand[0]), words.index(brand[1])
        words[i], words[j] = words[j], words[i]
    text = " ".join(words)
    if e.numbered and rng.random() < 0.93:  # now and then a writer drops the plant number
        form = rng.choice(PLANT_FORMS)
        number = e.numbered
        if rng.random() < 0.15:
            number = NUMBER_WORDS[number]
        text += " " + form.format(n=digits_as(number, rng))
    elif not e.numbered and rng.random() < 0.03:
        text += " " + rng.choice(["شماره ۱", "واحد ۱", "1"])
    legal_p = {"registry": 0.75, "field": 0.25, "import": 0.5}[src]
    if rng.random() < legal_p:
        if rng.random() < 0.6:
            text = rng.choice(LEGAL_PREFIXES) + " " + text
        if rng.random() < 0.5:
            text = text + " " + rng.choice(LEGAL_SUFFIXES)
    # slips: about one record in five carries one, a noisy writer more
    out = []
    for w in text.split(" "):
        if len(w) >= 4 and rng.random() < 0.06 * mix.noise:
            w = typo(w, rng)
        out.append(w)
    text = " ".join(out)
    text = zwnj_variant(text, rng)
    if rng.random() < 0.3 * mix.noise:
        text = arabic_keyboard(text, rng)
    return decorate(digits_as(text, rng), rng, mix.noise)


def typed_park(e: Entity, rng: random.Random, mix: Mix) -> str | None:
    if not e.park:
        return None
    park = e.park
    if rng.random() < 0.05 * mix.noise:
        park = " ".join(typo(w, rng) if len(w) >= 4 else w for w in park.split(" "))
    form = rng.choices(["شهرک صنعتی {}", "ش.ص {}", "ش.ص. {}", "شهرک {}", "{}", "شهرك صنعتي {}",
                        "ش ص {}"], [6, 2, 1, 2, 2, 1, 1])[0]
    return decorate(digits_as(zwnj_variant(form.format(park), rng), rng), rng, mix.noise)


def typed_address(e: Entity, rng: random.Random, mix: Mix) -> str:
    street_word = rng.choice(["خیابان", "خیابان", "خ.", "خ", "بلوار", "ب."]) if not e.street.isdigit() \
        else rng.choice(["خیابان", "خ", "فرعی", "خیابان شماره"])
    plate_word = rng.choice(["پلاک", "پلاک", "پ.", "پ", "قطعه"] if e.park else ["پلاک", "پ.", "پ"])
    street = f"{street_word} {e.street}"
    plate = f"{plate_word} {e.plate}"
    parts = []
    if e.park and rng.random() < 0.6:
        parts.append(rng.choice(["شهرک صنعتی ", "ش.ص ", ""]) + e.park)
    elif not e.park and rng.random() < 0.5:
        parts.append(PROVINCES[e.province][3][e.town][0])
    if rng.random() < 0.85:
        parts.append(street)
    if rng.random() < 0.25:
        parts.append(rng.choice(["کوچه", "ک.", "نبش"]) + " " + rng.choice(STREETS))
    if rng.random() < 0.8:
        parts.append(plate)
    sep = rng.choice(["، ", " - ", " ", ", "])
    text = sep.join(parts)
    if rng.random() < 0.25 * mix.noise:
        text = arabic_keyboard(text, rng)
    return decorate(digits_as(zwnj_variant(text, rng), rng), rng, mix.noise)


def _landline(e: Entity, rng: random.Random) -> str:
    local = e.landline
    style = rng.choices(["dash", "plain", "plus", "0098", "none", "space", "paren"],
                        [4, 3, 2, 1, 2, 2, 1])[0]
    if style == "dash":
        return f"0{e.area}-{local}"
    if style == "plain":
        return f"0{e.area}{local}"
    if style == "plus":
        return f"+98 {e.area} {local[:4]} {local[4:]}"
    if style == "0098":
        return f"0098{e.area}{local}"
    if style == "space":
        return f"0{e.area} {local[:4]} {local[4:]}"
    if style == "paren":
        return f"({e.area}) {local}"
    return local  # no area code


def _mobile(e: Entity, rng: random.Random) -> str:
    m = e.mobile
    style = rng.choices(["plain", "plus", "space", "dash", "0098", "bare"], [5, 2, 2, 1, 1, 1])[0]
    if style == "plain":
        return "0" + m
    if style == "plus":
        return "+98" + m if rng.random() < 0.5 else f"+98 {m[:3]} {m[3:6]} {m[6:]}"
    if style == "space":
        return f"0{m[:3]} {m[3:6]} {m[6:]}"
    if style == "dash":
        return f"0{m[:3]}-{m[3:]}"
    if style == "0098":
        return "0098" + m
    return m


def typed_phone(e: Entity, rng: random.Random, src: str, mix: Mix):
    # the registry knows the office landline, the engineer writes down the manager's mobile
    p_land = {"registry": 0.85, "field": 0.35, "import": 0.6}[src]
    p_mob = {"registry": 0.15, "field": 0.7, "import": 0.35}[src]
    parts = []
    if rng.random() < p_land:
        parts.append(_landline(e, rng))
    if rng.random() < p_mob:
        parts.append(_mobile(e, rng))
    if not parts:
        return None
    text = rng.choice([" - ", " / ", "، ", " و "]).join(parts)
    text = digits_as(text, rng, 0.3, 0.05)
    if len(parts) == 1 and rng.random() < 0.08 * mix.formats:
        digits = "".join(c for c in parts[0] if c.isdigit())
        if digits.startswith("0098"):
            digits = digits[4:]
        return int(digits)  # a spreadsheet cell: the leading zero is gone
    return text


def typed_legal(e: Entity, rng: random.Random, src: str, mix: Mix):
    p = {"registry": 0.8, "field": 0.15, "import": 0.55}[src] / mix.missing
    if rng.random() >= min(p, 0.95):
        return None
    value = e.legal_id
    r = rng.random()
    if r < 0.04 * mix.noise:  # a digit mistyped (a tenth of these still pass the check)
        i = rng.randrange(11)
        value = value[:i] + str((int(value[i]) + rng.randrange(1, 10)) % 10) + value[i + 1:]
    elif r < 0.06 * mix.noise:  # two neighbours swapped
        i = rng.randrange(10)
        value = value[:i] + value[i + 1] + value[i] + value[i + 2:]
    elif r < 0.075 * mix.noise:  # one digit lost
        i = rng.randrange(11)
        value = value[:i] + value[i + 1:]
    if rng.random() < 0.1 * mix.formats and value.isdigit():
        return int(value)
    if rng.random() < 0.08:
        value = f"{value[:4]}-{value[4:]}" if rng.random() < 0.5 else f"{value[:5]} {value[5:]}"
    return digits_as(value, rng, 0.35, 0.05)


def typed_licence(e: Entity, rng: random.Random, src: str, mix: Mix):
    p = {"registry": 0.5, "field": 0.08, "import": 0.35}[src] / mix.missing
    if rng.random() >= p:
        return None
    if rng.random() < 0.1 * mix.formats:
        return int(e.licence)
    return digits_as(e.licence, rng)


def typed_owner(e: Entity, rng: random.Random, mix: Mix):
    form = rng.choices(["full", "title_family", "title_full", "family"], [4, 3, 2, 1])[0]
    title = rng.choice(["آقای", "خانم", "مهندس", "دکتر", "حاج", "حاجی"])
    if e.owner_first in ("فاطمه", "زهرا", "مریم", "لیلا", "سارا", "نرگس", "طاهره", "صدیقه"):
        title = rng.choice(["خانم", "مهندس", "دکتر"])
    text = {"full": f"{e.owner_first} {e.owner_family}", "title_family": f"{title} {e.owner_family}",
            "title_full": f"{title} {e.owner_first} {e.owner_family}", "family": e.owner_family}[form]
    if rng.random() < 0.04 * mix.noise:
        text = " ".join(typo(w, rng) if len(w) > 4 else w for w in text.split())
    if rng.random() < 0.25 * mix.noise:
        text = arabic_keyboard(text, rng)
    return decorate(zwnj_variant(text, rng), rng, mix.noise)


def typed_activity(e: Entity, rng: random.Random, mix: Mix):
    act = e.activity
    if act.startswith("تولید ") and rng.random() < 0.4:
        act = act[len("تولید "):]
    elif not act.startswith("تولید") and rng.random() < 0.3:
        act = rng.choice(["تولید ", "ساخت ", "تولید انواع "]) + act
    if rng.random() < 0.2 * mix.noise:
        act = arabic_keyboard(act, rng)
    return decorate(zwnj_variant(act, rng), rng, mix.noise)


def _coordinate(value: float, rng: random.Random, mix: Mix):
    r = rng.random()
    if r < 0.15 * mix.formats:
        return f"{value:.6f}"
    if r < 0.2 * mix.formats:
        return f"{value:.5f}".translate(FA_DIGITS).replace(".", rng.choice(["٫", "."]))
    return round(value, rng.choice([5, 6, 7]))


def _empty(rng: random.Random, mix: Mix):
    """How this source writes "unknown": the key left out, null, "", or a word."""
    r = rng.random()
    if r < 0.5:
        return "__drop__"
    if r < 0.75:
        return None
    if r < 0.75 + 0.15 * mix.formats:
        return ""
    return rng.choice(["-", "نامشخص", "null", "ندارد"])


def make_record(e: Entity, rid: str, rng: random.Random, mix: Mix) -> dict:
    src = rng.choices(list(mix.sources), list(mix.sources.values()))[0]
    province, pid, _, towns = PROVINCES[e.province]
    town = towns[e.town][0]
    rec: dict = {"id": rid}
    rec["name"] = typed_name(e, rng, src, mix)
    rec["national_id"] = typed_legal(e, rng, src, mix)
    rec["license_no"] = typed_licence(e, rng, src, mix)
    # province: the spreadsheet writes it out, an import gives the reference number
    if src == "import" and rng.random() < 0.7:
        rec["province"] = pid if rng.random() < 0.6 else str(pid)
    elif rng.random() < 0.92 / max(mix.missing, 1):
        text = rng.choice(["{}", "{}", "استان {}"]).format(province)
        rec["province"] = arabic_keyboard(text, rng) if rng.random() < 0.2 * mix.noise else text
    else:
        rec["province"] = None
    if rng.random() < 0.75 / mix.missing:
        text = rng.choice(["{}", "{}", "{}", "شهرستان {}", "شهر {}"]).format(town)
        rec["city"] = zwnj_variant(arabic_keyboard(text, rng) if rng.random() < 0.2 * mix.noise else text, rng)
    else:
        rec["city"] = None
    p_park = {"registry": 0.7, "field": 0.9, "import": 0.6}[src] / mix.missing
    rec["park"] = typed_park(e, rng, mix) if rng.random() < p_park else None
    p_address = {"registry": 0.85, "field": 0.4, "import": 0.6}[src] / mix.missing
    rec["address"] = typed_address(e, rng, mix) if rng.random() < p_address else None
    rec["phone"] = typed_phone(e, rng, src, mix) if rng.random() < 1.0 / mix.missing else None
    p_gps = {"registry": 0.05, "field": 0.85, "import": 0.4}[src] / mix.missing
    if rng.random() < p_gps:
        # one GPS fix: most within a few metres, some tens, a few up to ~100 m off
        err = rng.choices([rng.uniform(0, 12), rng.uniform(10, 50), rng.uniform(50, 100)], [6, 3, 1])[0]
        lat, lon = _offset(e.lat, e.lon, err, rng)
        if rng.random() < 0.02 * mix.formats:
            lat, lon = lon, lat  # typed the other way round
        rec["lat"], rec["lon"] = _coordinate(lat, rng, mix), _coordinate(lon, rng, mix)
    p_owner = {"registry": 0.7, "field": 0.6, "import": 0.4}[src] / mix.missing
    rec["owner"] = typed_owner(e, rng, mix) if rng.random() < p_owner else None
    rec["activity"] = typed_activity(e, rng, mix) if rng.random() < 0.7 / mix.missing else None
    rec["status"] = rng.choice(STATUSES)
    n = max(1, e.employees + rng.randint(-3, 3))
    rec["employees"] = rng.choice([n, str(n), str(n).translate(FA_DIGITS), f"{n} نفر", None])
    # unknown keys some exporters add
    if rng.random() < 0.3 * mix.formats:
        rec["source"] = src
    if rng.random() < 0.15 * mix.formats:
        rec["visit_date"] = f"14{rng.randint(0, 3):02d}/{rng.randint(1, 12):02d}/{rng.randint(1, 29):02d}"
    if rng.random() < 0.05 * mix.formats:
        rec["extra"] = {"note": "از فایل قدیمی", "row": rng.randint(1, 5000)}
    # "unknown" spelled this source's way
    out = {}
    for k, v in rec.items():
        if v is None:
            v = _empty(rng, mix)
            if v == "__drop__":
                continue
        out[k] = v
    return out


def generate(mix: Mix) -> tuple[list[dict], dict[str, str]]:
    """Records (shuffled) and truth: record id -> entity key."""
    rng = random.Random(mix.seed)
    entities: list[tuple[Entity, int]] = []
    produced = 0
    n = 0
    while produced < mix.size:
        n += 1
        e = new_entity(f"E{n}", rng)
        copies = 1
        if rng.random() < mix.dup_share:
            copies += 1
            while rng.random() < mix.mean_extra / (1 + mix.mean_extra) and copies < 8:
                copies += 1
        entities.append((e, copies))
        produced += copies
        if rng.random() < mix.traps:
            n += 1
            t = _trap(e, f"E{n}", rng)
            tc = 1 + (rng.random() < mix.dup_share) + (rng.random() < 0.2)
            entities.append((t, tc))
            produced += tc
    records, truth = [], {}
    for e, copies in entities:
        for _ in range(copies):
            rid = f"r{len(records) + 1:06d}"
            records.append(make_record(e, rid, rng, mix))
            truth[rid] = e.key
    rng.shuffle(records)
    records = records[:mix.size]
    truth = {r["id"]: truth[r["id"]] for r in records}
    return records, truth


# --- measuring ----------------------------------------------------------------------------

def pair_scores(predicted: dict[str, str], truth: dict[str, str]) -> dict:
    """Pairwise precision, recall and F1 from cluster contingency counts."""
    def pairs(counter):
        return sum(c * (c - 1) // 2 for c in counter.values())
    both = pairs(Counter((predicted[i], truth[i]) for i in truth))
    said = pairs(Counter(predicted[i] for i in truth))
    real = pairs(Counter(truth.values()))
    p = both / said if said else 1.0
    r = both / real if real else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "true_pairs": real, "predicted_pairs": said, "correct_pairs": both}


# Another checkout to measure instead of this one (``--root``: "before" figures).
_OTHER_ROOT: list[Path] = []


def run_cli(source: Path, out: Path, extra: list[str] | None = None) -> dict:
    """Run the real command; wall seconds, peak RSS of it and its workers, exit code, stderr."""
    command, env, cwd = [str(CLI)], None, ROOT
    if _OTHER_ROOT:
        cwd = _OTHER_ROOT[0]
        command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "server"]
        env = {**os.environ, "PYTHONPATH": str(cwd)}
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen([*command, "dedup", str(source), "--out", str(out), *(extra or [])],
                                stdout=subprocess.DEVNULL, stderr=err, cwd=cwd, env=env)
        # wait4 gives the child's own rusage, whose peak covers the workers it waited for
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return {"wall_s": wall, "peak_mb": usage.ru_maxrss / 1024, "code": proc.returncode, "stderr": stderr}


def read_clusters(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_jsonl(records: list[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for r in records:
            handle.write(json.dumps(r, ensure_ascii=False) + "\n")


def measure(mix: Mix, errors: int = 0, tag: str = "") -> dict:
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    records, truth = generate(mix)
    made = time.perf_counter() - started
    stem = f"xcheck-{tag or 'run'}-{mix.size}-{mix.seed}"
    source, out = OUT / f"{stem}.jsonl", OUT / f"{stem}.clusters.csv"
    write_jsonl(records, source)
    with (OUT / f"{stem}.truth.csv").open("w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle, lineterminator="\n")
        w.writerow(["id", "cluster"])
        w.writerows(truth.items())
    run = run_cli(source, out)
    if run["code"] != 0:
        raise SystemExit(f"fieldsync dedup failed ({run['code']}):\n{run['stderr']}")
    rows = read_clusters(out)
    assert rows[0] == ["id", "cluster"], rows[0]
    ids = [r[0] for r in rows[1:]]
    assert len(ids) == len(set(ids)) and set(ids) == set(truth), "every input id exactly once"
    predicted = dict(rows[1:])
    scores = pair_scores(predicted, truth)
    result = {"size": mix.size, "units": len(set(truth.values())), "generate_s": made, **scores,
              "wall_s": run["wall_s"], "peak_mb": run["peak_mb"]}
    if errors:
        show_errors(records, truth, predicted, errors)
    return result


def show_errors(records, truth, predicted, limit):
    """Print some wrongly merged and some missed pairs, with both records, to read."""
    by_id = {r["id"]: r for r in records}
    rng = random.Random(0)
    groups: dict[str, list[str]] = {}
    for rid, c in predicted.items():
        groups.setdefault(c, []).append(rid)
    wrong = [(a, b) for members in groups.values() for i, a in enumerate(members) for b in members[i + 1:]
             if truth[a] != truth[b]]
    real: dict[str, list[str]] = {}
    for rid, e in truth.items():
        real.setdefault(e, []).append(rid)
    missed = [(a, b) for members in real.values() for i, a in enumerate(members) for b in members[i + 1:]
              if predicted[a] != predicted[b]]
    for title, pairs in (("WRONGLY MERGED", wrong), ("MISSED", missed)):
        print(f"\n=== {title}: {len(pairs)} pairs (showing {min(limit, len(pairs))})")
        for a, b in rng.sample(pairs, min(limit, len(pairs))):
            print(f"--- {truth[a]} / {truth[b]}")
            for rid in (a, b):
                print("   ", json.dumps(by_id[rid], ensure_ascii=False))


# --- the input contract ---------------------------------------------------------------------

def robustness() -> list[tuple[str, bool, str]]:
    """Odd files through the real command: what comes out, and whether it keeps the contract."""
    results = []
    good = [{"id": "a", "name": "صنایع غذایی طلوع", "phone": "021-55001122"},
            {"id": "b", "name": "صنايع غذايي طلوع", "phone": "+98 21 5500 1122"},
            {"id": 7, "name": "پلاستیک سپهر"}, {"id": "c", "name": None}]
    cases = {
        "empty file": b"",
        "only blank lines": b"\n\n  \n",
        "BOM + CRLF": ("\ufeff" + "\r\n".join(json.dumps(r, ensure_ascii=False) for r in good) + "\r\n").encode(),
        "no final newline": "\n".join(json.dumps(r, ensure_ascii=False) for r in good).encode(),
        "malformed line": ("\n".join(json.dumps(r, ensure_ascii=False) for r in good)
                           + '\n{"id": "d", "name": "broken\n').encode(),
        "duplicate ids": ("\n".join(json.dumps(r, ensure_ascii=False) for r in good + [good[0]])).encode(),
        "non-string ids": "\n".join(json.dumps({"id": v, "name": "x"}) for v in
                                    (1, 2.0, 10320894878, -3, "4")).encode(),
        "latin-1 bytes": b'{"id": "z", "name": "caf\xe9"}\n',
        "not an object": b'[1, 2]\n"text"\n{"id": "ok"}\n',
        "NaN and Infinity": b'{"id": "n", "lat": NaN, "lon": Infinity}\n',
        "huge field": json.dumps({"id": "h", "name": "x" * 200_000}).encode(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for title, data in cases.items():
            source, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.csv"
            source.write_bytes(data)
            if out.exists():
                out.unlink()
            run = run_cli(source, out)
            rows = read_clusters(out) if out.exists() else []
            ids = [r[0] for r in rows[1:]]
            ok = bool(rows) and rows[0] == ["id", "cluster"] and len(ids) == len(set(ids))
            note = f"exit {run['code']}, ids {ids[:8]}; " + " ".join(run["stderr"].split())[-160:]
            results.append((title, ok or run["code"] != 0, note))
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=6500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mix", choices=sorted(MIXES), default="default")
    parser.add_argument("--errors", type=int, default=0, help="print this many misjudged pairs of each kind")
    parser.add_argument("--robustness", action="store_true", help="odd input files only")
    parser.add_argument("--generate-only", action="store_true", help="write the set, do not run the command")
    parser.add_argument("--root", type=Path, help="measure the code of another checkout (e.g. the last commit)")
    args = parser.parse_args(argv)
    if args.root:
        _OTHER_ROOT.append(args.root.resolve())
    if args.robustness:
        for title, ok, note in robustness():
            print(f"{'ok ' if ok else 'BAD'} {title:18} {note}")
        return
    mix = replace(MIXES[args.mix], size=args.size, seed=args.seed)
    if args.generate_only:
        records, truth = generate(mix)
        stem = OUT / f"xcheck-{args.mix}-{args.size}-{args.seed}"
        OUT.mkdir(parents=True, exist_ok=True)
        write_jsonl(records, stem.with_suffix(".jsonl"))
        print(f"{len(records)} records, {len(set(truth.values()))} units -> {stem}.jsonl")
        return
    r = measure(mix, args.errors, args.mix)
    print(f"{args.mix} seed {args.seed}: {r['size']:,} records, {r['units']:,} units | "
          f"P {r['precision']:.4f} R {r['recall']:.4f} F1 {r['f1']:.4f} | "
          f"pairs true {r['true_pairs']:,} predicted {r['predicted_pairs']:,} | "
          f"wall {r['wall_s']:.1f} s, peak {r['peak_mb']:.0f} MB (generated in {r['generate_s']:.1f} s)")


if __name__ == "__main__":
    main()
