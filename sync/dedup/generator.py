"""Labelled generator of Persian unit records: real-looking duplicates and traps.

``generate(Config(...))`` returns ``(records, truth)``: a list of record dicts
in the batch format (``id, name, national_id, license_no, province, city, park,
address, phone, lat, lon, owner, activity, status, employees``) and a dict
``id -> entity`` (records of one real unit share the entity).

An *entity* is one real unit; each of its records is that unit as one writer
typed it, with any of the variations real records show (see ``_Renderer``):
Arabic vs Persian letters, ZWNJ/space/nothing, tatweel, diacritics, doubled
spaces, three digit scripts, legal-form words present/absent/abbreviated/
bracketed/moved, word order, typos incl. homophones and dot slips, park and
address abbreviations, phone formats and kinds, missing or mistyped legal ids,
GPS jitter up to ~200 m or missing, malformed values of the wrong type.

Traps are extra entities that look like an existing one but are another unit:
same brand + other activity in the same park, same name in another province,
a second plant in the same park (…شماره ۲), the same legal id far away.

Vocabularies "a" and "b" are for tuning; "c" (disjoint brand words, other noise
mix) is held out for measurement.
"""

import math
import random
from dataclasses import dataclass, field, replace

from sync.dedup import vocab
from sync.identifiers import PROVINCE_AREA_CODES, legal_id_check_digit
from sync.normalize import place_key


@dataclass(frozen=True)
class Config:
    size: int = 6500  # records to produce
    duplicate_rate: float = 0.35  # share of entities typed more than once
    extra_copies: float = 0.6  # mean copies beyond two for a duplicated entity (geometric)
    max_copies: int = 6
    noise: float = 1.0  # scales every spelling-variation probability
    missing: float = 1.0  # scales every missing-field probability
    trap_rate: float = 0.12  # share of entities that get a look-alike trap entity
    vocabulary: str = "a"  # brand vocabulary: "a", "b" or "c"
    malformed: float = 0.01  # share of fields given a wrong type or garbage
    # share of records whose name leaves out one distinctive word (the activity word when
    # the name has one: "مهرام" for "غذایی مهرام"); 0 in the presets, used in fitting
    dropped_words: float = 0.0
    seed: int = 0


# Configurations named in docs/dedup.md. "a" and "b" tune; "heldout" measures.
PRESETS = {
    "a": Config(vocabulary="a", seed=1),
    "b": Config(vocabulary="b", noise=1.4, missing=1.2, duplicate_rate=0.3, trap_rate=0.15,
                seed=2),
    "heldout": Config(vocabulary="c", noise=1.25, missing=1.35, duplicate_rate=0.4,
                      extra_copies=0.9, trap_rate=0.18, malformed=0.02, seed=3),
}

_ZWNJ = "\u200c"
_HOMOPHONE_GROUPS = ["زذضظ", "سصث", "تط", "هح", "قغ"]
_DOT_SLIPS = ["بپتث", "جچحخ", "دذ", "رزژ", "سش", "صض", "طظ", "عغ", "فق", "کگ"]
_DIACRITICS = "\u064e\u064f\u0650\u0651\u064b\u0652"
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_JOINING = set("بپتثجچحخسشصضطظعغفقکگلمنهی")


@dataclass
class Entity:
    key: str
    prefix: str  # legal-form word before the name ("" for none)
    words: list[str]  # the distinctive words, in registered order
    suffix: str  # legal-form after the name ("" for none)
    branch: int | None
    province: str
    city: str
    park: str
    lat: float
    lon: float
    legal_id: str
    license: str
    landlines: list[str]  # national form
    mobile: str
    owner: tuple[str, str]
    activity: str
    street: str
    street2: str
    plate: int
    status: str
    employees: int
    kind: str = "base"  # base, or the trap kind it was made as
    extra: dict = field(default_factory=dict)


class _World:
    """Fixed geography for one generated set: parks with centres and sizes."""

    def __init__(self, rng: random.Random):
        self.provinces = list(vocab.PROVINCES)
        self.weights = [vocab.PROVINCES[p][0] for p in self.provinces]
        self.parks = {}
        for province, (_, cities, parks) in vocab.PROVINCES.items():
            for park, city in parks:
                lat, lon = cities[city]
                offset = rng.uniform(2, 12) / 111.0  # parks sit outside town
                angle = rng.uniform(0, 2 * math.pi)
                radius_m = rng.uniform(400, 1500)
                self.parks[(province, park)] = (
                    city, lat + offset * math.sin(angle), lon + offset * math.cos(angle), radius_m)

    def pick_park(self, rng: random.Random, exclude_province: str = "") -> tuple[str, str]:
        while True:
            province = rng.choices(self.provinces, self.weights)[0]
            if province != exclude_province:
                break
        park = rng.choice(vocab.PROVINCES[province][2])[0]
        return province, park

    def spot(self, rng: random.Random, province: str, park: str) -> tuple[float, float]:
        """A random position inside a park."""
        _, lat, lon, radius = self.parks[(province, park)]
        r = radius * math.sqrt(rng.random())
        return _moved(lat, lon, r, rng.uniform(0, 2 * math.pi))


def _moved(lat: float, lon: float, metres: float, angle: float) -> tuple[float, float]:
    dlat = metres * math.sin(angle) / 111_320
    dlon = metres * math.cos(angle) / (111_320 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def make_legal_id(rng: random.Random) -> str:
    """A random legal national id with a right check digit."""
    head = "1" + "".join(rng.choice("0123456789") for _ in range(9))
    return head + str(legal_id_check_digit(head))


class _EntityMaker:
    def __init__(self, rng: random.Random, cfg: Config, world: _World):
        self.rng, self.cfg, self.world = rng, cfg, world
        self.brands = vocab.BRANDS[cfg.vocabulary]
        self.suffixes = vocab.SUFFIXES[cfg.vocabulary]
        self.count = 0

    def _key(self) -> str:
        self.count += 1
        return f"E{self.cfg.seed}-{self.count}"

    def _phone(self, province: str, mobile: bool) -> str:
        rng = self.rng
        if mobile:
            return "09" + rng.choice(["12", "13", "35", "36", "19", "01", "90", "91", "22"]) + \
                "".join(rng.choice("0123456789") for _ in range(7))
        area = PROVINCE_AREA_CODES[place_key(province)]
        return "0" + area + rng.choice("3456789") + "".join(rng.choice("0123456789")
                                                            for _ in range(7))

    def name_words(self, sector_word: str) -> list[str]:
        rng, brand = self.rng, self.rng.choice(self.brands)
        style = rng.random()
        if self.cfg.vocabulary == "b":
            style = (style + 0.35) % 1.0  # vocabulary b leans to other templates
        if style < 0.35:
            return [sector_word, brand]
        if style < 0.5:
            return [brand, sector_word]
        if style < 0.65:
            return [brand, rng.choice(self.suffixes)]
        if style < 0.75:
            return [sector_word, brand, rng.choice(self.suffixes)]
        if style < 0.85:
            family = rng.choice(vocab.FAMILY_NAMES)
            return rng.choice([["برادران", family], [family, "و", "پسران"], [family]])
        if style < 0.93:
            return [brand, rng.choice(self.brands)]
        return [brand]

    def new(self, province: str = "", park: str = "") -> Entity:
        rng = self.rng
        if not province:
            province, park = self.world.pick_park(rng)
        city = self.world.parks[(province, park)][0]
        sector = rng.choice(list(vocab.SECTORS))
        sector_word, activity = rng.choice(vocab.SECTORS[sector])
        lat, lon = self.world.spot(rng, province, park)
        return Entity(
            key=self._key(),
            prefix=rng.choice(vocab.LEGAL_PREFIXES) if rng.random() < 0.7 else "",
            words=self.name_words(sector_word),
            suffix=rng.choice(list(vocab.LEGAL_SUFFIXES)) if rng.random() < 0.35 else "",
            branch=None,
            province=province, city=city, park=park, lat=lat, lon=lon,
            legal_id=make_legal_id(rng) if rng.random() < 0.8 else "",
            license=str(rng.randint(10000, 999999)) if rng.random() < 0.6 else "",
            landlines=[self._phone(province, False) for _ in range(rng.choice([1, 1, 1, 2]))]
            if rng.random() < 0.85 else [],
            mobile=self._phone(province, True) if rng.random() < 0.65 else "",
            owner=(rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.FAMILY_NAMES)),
            activity=activity,
            street=rng.choice(vocab.STREETS), street2=rng.choice(vocab.STREETS),
            plate=rng.randint(1, 250),
            status=rng.choice(vocab.STATUSES),
            employees=rng.choice([rng.randint(3, 30), rng.randint(30, 300)]),
            extra={"sector": sector, "sector_word": sector_word},
        )

    # --- traps: another unit that looks like ``base`` -------------------------

    def same_brand_other_activity(self, base: Entity) -> Entity:
        other = self.new(base.province, base.park)
        sector = rng_choice_except(self.rng, list(vocab.SECTORS), base.extra["sector"])
        word, activity = self.rng.choice(vocab.SECTORS[sector])
        words = [word if w == base.extra["sector_word"] else w for w in base.words]
        if words == base.words:  # the base name had no activity word: give it one
            words = [word] + [w for w in base.words if w not in ("و", "پسران")]
        if self.rng.random() < 0.4:  # next door
            other.lat, other.lon = _moved(base.lat, base.lon, self.rng.uniform(40, 200),
                                          self.rng.uniform(0, 6.3))
        return replace(other, words=words, activity=activity, kind="same_brand_other_activity")

    def same_name_other_province(self, base: Entity) -> Entity:
        province, park = self.world.pick_park(self.rng, exclude_province=base.province)
        other = self.new(province, park)
        return replace(other, prefix=base.prefix, words=list(base.words), suffix=base.suffix,
                       activity=base.activity, kind="same_name_other_province")

    def second_plant(self, base: Entity) -> Entity:
        rng = self.rng
        lat, lon = _moved(base.lat, base.lon, rng.uniform(80, 900), rng.uniform(0, 6.3))
        if rng.random() < 0.3:
            base.branch = 1  # the first plant is sometimes numbered too
        return replace(
            base, key=self._key(), branch=rng.choice([2, 2, 2, 3]), lat=lat, lon=lon,
            legal_id=base.legal_id if rng.random() < 0.6 else make_legal_id(rng),
            license=str(rng.randint(10000, 999999)) if base.license else "",
            landlines=[self._phone(base.province, False)],
            mobile=base.mobile if rng.random() < 0.5 else self._phone(base.province, True),
            plate=rng.randint(1, 250), street2=rng.choice(vocab.STREETS),
            employees=rng.randint(3, 200), kind="second_plant", extra=dict(base.extra))

    def same_legal_id_far(self, base: Entity) -> Entity:
        if not base.legal_id:
            base.legal_id = make_legal_id(self.rng)
        province, park = self.world.pick_park(self.rng, exclude_province=base.province)
        other = self.new(province, park)
        return replace(other, prefix=base.prefix, words=list(base.words), suffix=base.suffix,
                       legal_id=base.legal_id, owner=base.owner, activity=base.activity,
                       kind="same_legal_id_far")

    def trap(self, base: Entity) -> Entity:
        kind = self.rng.choice([self.same_brand_other_activity, self.same_brand_other_activity,
                                self.same_name_other_province, self.second_plant,
                                self.second_plant, self.same_legal_id_far])
        return kind(base)


def rng_choice_except(rng: random.Random, items: list, avoid):
    return rng.choice([i for i in items if i != avoid])


class _Renderer:
    """One record of an entity, as one writer typed it."""

    def __init__(self, rng: random.Random, cfg: Config):
        self.rng, self.cfg = rng, cfg

    def chance(self, p: float) -> bool:
        return self.rng.random() < min(1.0, p * self.cfg.noise)

    def absent(self, p: float) -> bool:
        return self.rng.random() < min(1.0, p * self.cfg.missing)

    # --- text-level variations --------------------------------------------------

    def letters(self, text: str) -> str:
        """Arabic keyboard letters (ي ك ة أ ؤ), ZWNJ habits, tatweel, diacritics, spacing."""
        rng = self.rng
        if self.chance(0.25):  # an Arabic keyboard changes every ی and ک
            text = text.replace("ی", "ي").replace("ک", "ك")
            if rng.random() < 0.5:
                text = text.replace("ی ", "ى ")
        if self.chance(0.06):  # Arabic spellings: ة at a word's end, أ at its start, ؤ
            words = text.split(" ")
            i = rng.randrange(len(words))
            word = words[i]
            if word.endswith("ه"):
                word = word[:-1] + "ة"
            elif word.startswith("ا"):
                word = rng.choice("أإ") + word[1:]
            elif "و" in word[1:]:
                word = word[0] + word[1:].replace("و", "ؤ", 1)
            words[i] = word
            text = " ".join(words)
        if self.chance(0.05):
            text = text.replace("آ", rng.choice(["ا", "أ"]))
        if self.chance(0.05):
            text = text.replace("ئ", "ی") if "ئ" in text else text.replace("یی", "ئی")
        zwnj = rng.random()
        if zwnj < 0.3 * self.cfg.noise:
            text = text.replace(_ZWNJ, " ")
        elif zwnj < 0.5 * self.cfg.noise:
            text = text.replace(_ZWNJ, "")
        if self.chance(0.05):
            text = self._sprinkle(text, "ـ")
        if self.chance(0.05):
            text = self._sprinkle(text, rng.choice(_DIACRITICS))
        if self.chance(0.08):
            text = text.replace(" ", "  ", 1) if rng.random() < 0.5 else f" {text} "
        return text

    def _sprinkle(self, text: str, mark: str) -> str:
        spots = [i for i, c in enumerate(text) if c in _JOINING and i + 1 < len(text)
                 and text[i + 1] != " "]
        if not spots:
            return text
        i = self.rng.choice(spots) + 1
        return text[:i] + mark + text[i:]

    def digits(self, text: str) -> str:
        roll = self.rng.random()
        if roll < 0.35:
            return text.translate(_PERSIAN_DIGITS)
        if roll < 0.42:
            return text.translate(_ARABIC_DIGITS)
        return text

    def typo(self, word: str) -> str:
        """One slip: a homophone, a misplaced dot, a lost, doubled or swapped letter."""
        rng = self.rng
        letters = [i for i, c in enumerate(word) if c.isalpha()]
        if len(letters) < 3:
            return word
        roll = rng.random()
        if roll < 0.4:
            for group in rng.sample(_HOMOPHONE_GROUPS, len(_HOMOPHONE_GROUPS)):
                spots = [i for i, c in enumerate(word) if c in group]
                if spots:
                    i = rng.choice(spots)
                    return word[:i] + rng_choice_except(rng, list(group), word[i]) + word[i + 1:]
        i = rng.choice(letters[1:])
        if roll < 0.55:
            for group in _DOT_SLIPS:
                if word[i] in group:
                    return word[:i] + rng_choice_except(rng, list(group), word[i]) + word[i + 1:]
        if roll < 0.75:
            return word[:i] + word[i + 1:]
        if roll < 0.85:
            return word[:i] + word[i] + word[i:]
        return word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]

    # --- fields ---------------------------------------------------------------

    def name(self, e: Entity) -> str:
        rng = self.rng
        words = list(e.words)
        if self.cfg.dropped_words and len(words) >= 2 and rng.random() < self.cfg.dropped_words:
            sector_word = e.extra.get("sector_word")
            words.remove(sector_word if sector_word in words else rng.choice(
                [w for w in words if w not in ("و", "پسران", "برادران")] or words))
        if len(words) >= 2 and "و" not in words and self.chance(0.12):
            rng.shuffle(words)  # word order
        if self.chance(0.15):
            i = rng.randrange(len(words))
            words[i] = self.typo(words[i])
        parts = []
        prefix = e.prefix
        if prefix and self.chance(0.35):
            prefix = ""  # legal form left out
        elif not prefix and self.chance(0.12):
            prefix = rng.choice(vocab.LEGAL_PREFIXES)  # legal form added
        if prefix:
            parts.append(prefix)
        parts.extend(words)
        if e.branch is not None:
            parts.append(self.branch(e.branch))
        if e.suffix and not self.chance(0.4):
            parts.append(rng.choice(vocab.LEGAL_SUFFIXES[e.suffix]))
        elif not e.suffix and self.chance(0.05):
            parts.append(rng.choice(vocab.LEGAL_SUFFIXES["سهامی خاص"]))
        return self.digits(self.letters(" ".join(parts)))

    def branch(self, number: int) -> str:
        words = {1: "یک", 2: "دو", 3: "سه"}
        forms = [f"شماره {number}", f"شماره {number}", f"{number}", f"واحد {number}",
                 f"(واحد {number})", f"- {number}", f"واحد {words[number]}", f"شماره {words[number]}"]
        return self.rng.choice(forms)

    def park(self, e: Entity) -> str:
        if self.absent(0.15):
            return ""
        form = self.rng.choices(["شهرک صنعتی {}", "ش.ص {}", "ش.ص. {}", "شهرک {}", "{}",
                                 "شهرک صنعتی {}"], [4, 1.5, 0.5, 1.5, 1, 0.5])[0]
        name = e.park
        if self.chance(0.04):
            name = self.typo(name)
        return self.letters(form.format(name))

    def place(self, value: str, word: str, p_missing: float) -> str:
        if self.absent(p_missing):
            return ""
        if self.rng.random() < 0.1:
            value = f"{word} {value}"
        return self.letters(value)

    def address(self, e: Entity) -> str:
        rng = self.rng
        if self.absent(0.25):
            return ""
        street = rng.choice(["خیابان", "خیابان", "خ.", "خ", "بلوار"])
        plate = rng.choice(["پلاک", "پلاک", "پ.", "پ", "قطعه"])
        parts = []
        if rng.random() < 0.5:
            parts.append(f"{rng.choice(['شهرک صنعتی', 'ش.ص', 'شهرک'])} {e.park}")
        parts.append(f"{street} {e.street}")
        if rng.random() < 0.5:
            parts.append(f"{rng.choice(['خیابان', 'خ.', 'کوچه', 'نبش'])} {e.street2}")
        if not self.absent(0.1):
            parts.append(f"{plate} {e.plate}")
        return self.digits(self.letters(rng.choice(["، ", " ", " - ", ","]).join(parts)))

    def phone_text(self, number: str) -> str:
        """One national number in one of the ways people type it."""
        rng = self.rng
        rest = number[1:]
        mobile = number.startswith("09")
        head, tail = (rest[:3], rest[3:]) if mobile else (rest[:2], rest[2:])
        forms = [number, f"0{head}-{tail}", f"0{head} {tail[:3]} {tail[3:]}", f"+98{rest}",
                 f"+98 {head} {tail}", f"0098{rest}", f"(0{head}) {tail}", f"98{rest}"]
        if not mobile:
            forms += [tail, tail, f"{tail[:4]} {tail[4:]}", f"{tail[:4]}-{tail[4:]}"]
        return self.digits(rng.choice(forms))

    def phone(self, e: Entity):
        rng = self.rng
        shown = []
        if e.landlines and not self.absent(0.2):
            shown.append(rng.choice(e.landlines))
        if e.mobile and not self.absent(0.5):
            shown.append(e.mobile)
        rng.shuffle(shown)
        if not shown:
            return ""
        if len(shown) == 1 and rng.random() < 0.03 * self.cfg.malformed * 100:
            return int(shown[0])  # a spreadsheet turned it into a number
        return rng.choice([" / ", "، ", " - ", " و "]).join(self.phone_text(p) for p in shown)

    def legal_id(self, e: Entity):
        rng = self.rng
        if not e.legal_id or self.absent(0.3):
            return ""
        value = e.legal_id
        if self.chance(0.1):  # mistyped: one of the usual slips
            i = rng.randrange(len(value) - 1)
            value = rng.choice([
                value[:i] + rng_choice_except(rng, list("0123456789"), value[i]) + value[i + 1:],
                value[:i] + value[i + 1] + value[i] + value[i + 2:],
                value[:i] + value[i + 1:],
                value + rng.choice("0123456789"),
            ])
        if rng.random() < 0.02 * self.cfg.malformed * 100:
            return int(value) if value.isdigit() else value
        if rng.random() < 0.1:
            value = f"{value[:4]}-{value[4:]}"
        return self.digits(value)

    def license_no(self, e: Entity) -> str:
        if not e.license or self.absent(0.4):
            return ""
        value = e.license
        if self.rng.random() < 0.2:
            value = f"{value[:-2]}/{value[-2:]}"
        return self.digits(value)

    def position(self, e: Entity):
        rng = self.rng
        if self.absent(0.25):
            return None, None
        spread = rng.choices([8, 40, 90], [0.6, 0.3, 0.1])[0] * self.cfg.noise
        lat, lon = _moved(e.lat, e.lon, min(230.0, abs(rng.gauss(0, spread))),
                          rng.uniform(0, 2 * math.pi))
        lat, lon = round(lat, rng.choice([4, 5, 6])), round(lon, rng.choice([4, 5, 6]))
        roll = rng.random()
        if roll < 0.15:
            return str(lat), str(lon)
        if roll < 0.2:
            return self.digits(str(lat)).translate(_PERSIAN_DIGITS), self.digits(
                str(lon)).translate(_PERSIAN_DIGITS)
        if roll < 0.2 + self.cfg.malformed:
            return lon, lat  # swapped columns
        return lat, lon

    def owner(self, e: Entity) -> str:
        rng = self.rng
        if self.absent(0.3):
            return ""
        first, last = e.owner
        if self.chance(0.04):  # someone else answered the engineer
            first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.FAMILY_NAMES)
        form = rng.choices(["{f} {l}", "{l}", "آقای {l}", "مهندس {f} {l}", "{f} {l}"],
                           [5, 1, 1, 1, 1])[0]
        text = form.format(f=first, l=last)
        if self.chance(0.05):
            text = self.typo(text)
        return self.letters(text)

    def activity(self, e: Entity) -> str:
        if self.absent(0.2):
            return ""
        text = e.activity
        if self.rng.random() < 0.2:
            text = text.replace("تولید ", "")
        return self.letters(text)

    def employees(self, e: Entity):
        roll = self.rng.random()
        if self.absent(0.3):
            return None
        value = max(1, int(e.employees * self.rng.uniform(0.8, 1.2)))
        if roll < 0.2:
            return self.digits(f"{value} نفر")
        return value

    def record(self, e: Entity, rid: str) -> dict:
        lat, lon = self.position(e)
        record = {
            "id": rid,
            "name": self.name(e),
            "national_id": self.legal_id(e),
            "license_no": self.license_no(e),
            "province": self.place(e.province, "استان", 0.15),
            "city": self.place(e.city, "شهرستان", 0.15),
            "park": self.park(e),
            "address": self.address(e),
            "phone": self.phone(e),
            "lat": lat,
            "lon": lon,
            "owner": self.owner(e),
            "activity": self.activity(e),
            "status": e.status if self.rng.random() < 0.8 else self.rng.choice(vocab.STATUSES),
            "employees": self.employees(e),
        }
        return self._malform(record)

    def _malform(self, record: dict) -> dict:
        """Damage a few fields the way exports do: wrong types, nulls, dropped keys."""
        rng = self.rng
        for key in list(record):
            if key == "id" or rng.random() >= self.cfg.malformed:
                continue
            record[key] = rng.choice([None, "", "-", "null", 0, [], {"v": 1}, "نامشخص",
                                      "???", True])
            if rng.random() < 0.3:
                del record[key]
        return record


def generate(cfg: Config = Config()) -> tuple[list[dict], dict[str, str]]:
    """``cfg.size`` records and their truth (record id -> entity key)."""
    records, truth, _ = generate_with_kinds(cfg)
    return records, truth


def generate_with_kinds(cfg: Config) -> tuple[list[dict], dict[str, str], dict[str, str]]:
    """As ``generate``, plus entity key -> kind ("base" or the trap it was made as)."""
    rng = random.Random(cfg.seed)
    world = _World(rng)
    maker = _EntityMaker(rng, cfg, world)
    renderer = _Renderer(rng, cfg)
    entities: list[tuple[Entity, int]] = []
    planned = 0
    while planned < cfg.size:
        base = maker.new()
        group = [base]
        if rng.random() < cfg.trap_rate:
            group.append(maker.trap(base))
        for entity in group:
            copies = 1
            if rng.random() < cfg.duplicate_rate:
                copies = 2
                while copies < cfg.max_copies and rng.random() < cfg.extra_copies / (
                        1 + cfg.extra_copies):
                    copies += 1
            entities.append((entity, copies))
            planned += copies
    rendered = [(entity.key, renderer.record(entity, ""))
                for entity, copies in entities for _ in range(copies)]
    rng.shuffle(rendered)
    records, truth = [], {}
    for n, (key, record) in enumerate(rendered[:cfg.size]):
        rid = f"u{cfg.seed}-{n:06d}"
        record["id"] = rid
        records.append(record)
        truth[rid] = key
    return records, truth, {entity.key: entity.kind for entity, _ in entities}
