"""What the demo's units are and what their engineers found: one coherent story per unit.

A supervisor reading the demo should believe it: a tannery sealed for its effluent has an
environment obstacle owed to the Department of Environment, a foundry short of power waits on
the electricity company, a unit that revived did so because the obstacle that stopped it was
removed. Each story gives the unit's sector, products and raw materials, the obstacles each
visit found (and the ones a later visit resolved), and the engineer's summary and advice.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Obstacle:
    key: str              # the story's own name, so a later visit can resolve it
    area: str
    group: str
    severity: str
    description: str
    action: str
    body: str


@dataclass
class Story:
    sector: str
    products: str
    raw_materials: str
    stop_reason: str | None             # why production fell, when it did
    market: str
    summary: str
    actions: str
    found: list = field(default_factory=list)     # per visit: the obstacles it records
    resolves: list = field(default_factory=list)  # per visit: keys of earlier obstacles it resolves
    energy: dict = field(default_factory=dict)    # answer overrides (electricity, gas…)
    licence: bool = True                          # has a valid operating licence (and its photo)
    followup_days: int | None = None              # a revisit suggested this many days after the last visit


def _o(key, area, group, severity, description, action, body) -> Obstacle:
    return Obstacle(key, area, f"{area}.{group}", severity, description, action, body)


STORIES = {
    "alborz": Story(
        "wood_paper", "کارتن و جعبه‌های بسته‌بندی مواد غذایی", "ورق کارتن، مقوا و مرکب چاپ", "finance",
        "مشتریان صنایع غذایی پول را با چک شش‌ماهه می‌پردازند",
        "واحد سالم است و بازار دارد؛ نبود سرمایه در گردش خط چاپ را متوقف کرده بود.",
        "پیگیری تقسیط بدهی بانکی؛ معرفی برای تسهیلات تبصره ۱۸",
        found=[[_o("capital", "finance", "working_capital", "critical",
                   "نقدینگی برای خرید ورق کارتن نیست؛ خط چاپ دو ماه است خاموش است.",
                   "معرفی به بانک عامل برای تسهیلات سرمایه در گردش", "bank"),
                _o("debt", "finance", "overdue_bank_debt", "high",
                   "بدهی معوق به بانک صنعت و معدن و جرایم دیرکرد آن.",
                   "طرح در کارگروه تسهیل برای تقسیط و بخشودگی جرایم", "bank")],
               [_o("board", "market", "raw_material", "medium",
                   "قیمت ورق کارتن در سه ماه گذشته دو برابر شده است.",
                   "خرید گروهی ورق با دیگر واحدهای بسته‌بندی شهرک", "industry_mine_trade")]],
        resolves=[[], ["capital"]], followup_days=45),
    "kiantar": Story(
        "textile", "نخ پنبه‌ای و پارچه پیراهنی", "الیاف پنبه و پلی‌استر", "technical",
        "پارچه وارداتی و قاچاق ارزان‌تر از تولید داخل است",
        "ماشین‌آلات ریسندگی فرسوده‌اند و واحد با نیمی از ظرفیت کار می‌کند.",
        "معرفی به صندوق توسعه ملی برای نوسازی ماشین‌آلات ریسندگی",
        found=[[_o("machines", "technical", "equipment_wornout", "high",
                   "ماشین‌آلات ریسندگی بیش از سی سال عمر دارند و هر هفته خراب می‌شوند.",
                   "معرفی به صندوق توسعه ملی برای نوسازی", "industry_mine_trade"),
                _o("imports", "market", "import_competition", "medium",
                   "پارچه وارداتی و قاچاق، بازار پارچه پیراهنی را گرفته است.",
                   "گزارش به کارگروه مبارزه با قاچاق استان", "governorate")],
               [_o("power", "technical", "electricity", "medium",
                   "در ساعات اوج تابستان برق واحد سه ساعت در روز قطع می‌شود.",
                   "هماهنگی جدول خاموشی با شرکت توزیع برق", "electricity")]],
        resolves=[[], []], energy={"electricity_status": "outages"}),
    "parsian": Story(
        "metal", "قطعات فلزی پرسی خودرو", "ورق فولادی و میلگرد", "partners",
        "سفارش خودروسازها به دلیل توقف واحد به دیگران رسیده است",
        "اختلاف شرکا به توقیف ماشین‌آلات انجامیده و تولید کاملاً متوقف است.",
        "میانجی‌گری در شورای حل اختلاف؛ پیگیری رفع توقیف",
        found=[[_o("seizure", "legal", "court_cases", "critical",
                   "ماشین‌آلات پرس به حکم دادگاه در دعوای شریک سابق توقیف شده است.",
                   "پیگیری پرونده و درخواست رفع توقیف با سپردن ضمانت", "judiciary"),
                _o("partners", "legal", "partner_disputes", "high",
                   "دو شریک بر سر سهم و مدیریت واحد به توافق نمی‌رسند.",
                   "میانجی‌گری در شورای حل اختلاف", "judiciary")],
               []],
        resolves=[[], []], energy={"electricity_status": "disconnected"}),
    "arian": Story(
        "chemical", "لوله و اتصالات پلی‌اتیلن آبرسانی", "گرانول پلی‌اتیلن سنگین", None,
        "تقاضای شرکت آب و فاضلاب خوب است اما پرداخت‌ها دیر انجام می‌شود",
        "واحد فعال است و ظرفیت افزایش تولید دارد؛ تأمین گرانول تنها گره جدی است.",
        "ثبت سفارش گرانول در بورس کالا؛ پیگیری مطالبات از شرکت آب و فاضلاب",
        found=[[_o("granule", "market", "raw_material", "medium",
                   "گرانول پلی‌اتیلن پتروشیمی با تأخیر و گران‌تر از نرخ بورس می‌رسد.",
                   "ثبت سفارش مستقیم در بورس کالا", "industry_mine_trade"),
                _o("charges", "legal", "park_charges", "low",
                   "اختلاف درباره حق شارژ شهرک سال گذشته.",
                   "تقسیط حق شارژ با شرکت شهرک‌ها", "industrial_parks")],
               [_o("receivables", "finance", "government_receivables", "medium",
                   "مطالبات از شرکت آب و فاضلاب استان شش ماه است پرداخت نشده.",
                   "پیگیری در کارگروه تسهیل برای تهاتر با بدهی مالیاتی", "governorate")]],
        resolves=[[], ["charges"]]),
    "charm": Story(
        "chemical", "چرم سبک و چرم رویه کفش", "پوست خام گاو و گوسفند، نمک و کروم", "legal",
        "بازار چرم هست ولی واحد پلمب است",
        "واحد به دلیل پساب دباغی پلمب شده و تا اتصال به تصفیه‌خانه بسته می‌ماند.",
        "اتصال به تصفیه‌خانه مرکزی چرمشهر؛ سپس درخواست رفع پلمب",
        found=[[_o("effluent", "technical", "waste_pollution", "critical",
                   "پساب دباغی بدون تصفیه به مسیل می‌رود؛ واحد پلمب شده است.",
                   "اتصال به تصفیه‌خانه مرکزی چرمشهر", "environment"),
                _o("permit", "legal", "environment_permit", "high",
                   "مجوز محیط زیست به دلیل آلایندگی باطل شده است.",
                   "تمدید مجوز پس از اتصال به تصفیه‌خانه", "environment")],
               []],
        resolves=[[], []], licence=False),
    "nooshin": Story(
        "food", "رب گوجه‌فرنگی و کنسرو لوبیا", "گوجه‌فرنگی، قوطی فلزی و شیشه", "finance",
        "قیمت رب دستوری است و با هزینه‌ها نمی‌خواند",
        "در فصل برداشت گوجه نقدینگی کافی برای خرید ندارد و با نیمی از ظرفیت کار می‌کند.",
        "تسهیلات سرمایه در گردش فصلی؛ پیگیری اصلاح قیمت مصوب رب",
        found=[[_o("season", "finance", "working_capital", "high",
                   "خرید گوجه در فصل برداشت نقدینگی زیادی می‌خواهد که واحد ندارد.",
                   "تسهیلات سرمایه در گردش فصلی از بانک عامل", "bank"),
                _o("price", "market", "price_controls", "medium",
                   "قیمت مصوب رب گوجه از هزینه تمام‌شده کمتر است.",
                   "طرح در کمیته قیمت‌گذاری سازمان صمت استان", "industry_mine_trade")]],
        resolves=[[]], followup_days=20),
    "sepahan": Story(
        "non_metallic", "کاشی دیواری و سرامیک کف", "خاک رس، فلدسپات و لعاب", "energy",
        "بازار ساختمان کند است ولی صادرات به عراق رونق دارد",
        "با رفع قطعی گاز کوره‌ها، واحد به ظرفیت کامل بازگشته است.",
        "پیگیری مشوق‌های صادراتی؛ برنامه ذخیره سوخت مایع برای زمستان",
        found=[[_o("gas", "technical", "gas", "high",
                   "در زمستان گاز کوره‌ها قطع می‌شود و تولید سه ماه می‌خوابد.",
                   "انعقاد قرارداد گاز صنعتی پایدار با شرکت گاز استان", "gas")],
               [_o("export", "market", "export_barriers", "medium",
                   "رفع تعهد ارزی صادرات طولانی است.",
                   "معرفی به سازمان توسعه تجارت برای تسهیل رفع تعهد", "customs")]],
        resolves=[[], ["gas"]], energy={"gas_status": "ok"}),
    "naqsh": Story(
        "metal", "قطعات چدنی ماشین‌آلات کشاورزی", "آهن قراضه، چدن خام و کک", "energy",
        "سفارش هست ولی برق نیست",
        "سهمیه برق کوره القایی کافی نیست و بدهی قبوض برق اجازه افزایش دیماند نمی‌دهد.",
        "تقسیط بدهی برق و افزایش دیماند؛ بررسی کوره گازی",
        found=[[_o("demand", "technical", "electricity", "critical",
                   "سهمیه برق کوره القایی نصف نیاز است؛ کوره بیشتر روزها خاموش است.",
                   "درخواست افزایش دیماند از شرکت توزیع برق", "electricity"),
                _o("bills", "finance", "utility_debts", "high",
                   "بدهی قبوض برق مانع افزایش دیماند شده است.",
                   "تقسیط بدهی برق با شرکت توزیع", "electricity")],
               []],
        resolves=[[], []], energy={"electricity_status": "insufficient"}, followup_days=10),
    "zayandeh": Story(
        "textile", "نخ و پارچه حوله", "الیاف پنبه", "finance",
        "بازار حوله داخلی خوب است",
        "با ورود سرمایه‌گذار جدید، واحد تعطیل دوباره راه افتاده و ۲۸ نفر بر سر کار برگشته‌اند.",
        "پیگیری بیمه کارکنان تازه؛ ثبت نشان تجاری",
        found=[[_o("investor", "finance", "investor_needed", "critical",
                   "مالک توان راه‌اندازی دوباره ندارد؛ واحد به سرمایه‌گذار نیاز دارد.",
                   "معرفی در سامانه جذب سرمایه‌گذار برای واحدهای راکد", "industry_clinic")],
               [_o("insurance", "legal", "social_security", "low",
                   "بیمه کارکنان تازه‌وارد هنوز کامل نشده است.",
                   "ثبت کارکنان در سامانه تأمین اجتماعی", "social_security")]],
        resolves=[[], ["investor"]]),
    "shiraznoush": Story(
        "food", "آب‌میوه و شربت", "کنسانتره میوه، قند و بطری پت", "market",
        "آب‌میوه‌های برند بزرگ قفسه‌های فروشگاه را گرفته‌اند",
        "فروش کم شده و واحد با یک شیفت کار می‌کند؛ بسته‌بندی به‌روز نیست.",
        "مشاوره بازاریابی و طراحی بسته‌بندی در کلینیک صنعت",
        found=[[_o("demand", "market", "weak_demand", "medium",
                   "فروش در یک سال گذشته یک سوم کم شده است.",
                   "مشاوره بازاریابی در کلینیک صنعت", "industry_clinic")],
               [_o("pack", "market", "branding_packaging", "medium",
                   "بسته‌بندی قدیمی است و در قفسه دیده نمی‌شود.",
                   "طراحی بسته‌بندی تازه با پشتیبانی کلینیک صنعت", "industry_clinic")]],
        resolves=[[], []]),
    "farsglass": Story(
        "non_metallic", "بطری شیشه‌ای دارویی و غذایی", "سیلیس، سودا و کربنات کلسیم", "energy",
        "سفارش داروسازی‌ها هست",
        "گاز کوره ذوب شیشه به دلیل بدهی قطع شده و کوره سرد شده است.",
        "تقسیط بدهی گاز و وصل دوباره؛ بازسازی کوره",
        found=[[_o("gas", "technical", "gas", "critical",
                   "گاز کوره ذوب به دلیل بدهی قطع شده و کوره سرد شده است.",
                   "تقسیط بدهی و وصل دوباره گاز", "gas"),
                _o("bank", "finance", "overdue_bank_debt", "high",
                   "اقساط تسهیلات بازسازی کوره معوق مانده است.",
                   "استمهال اقساط در کارگروه تسهیل", "bank")],
               []],
        resolves=[[], []], energy={"gas_status": "disconnected"}),
    "golpars": Story(
        "pharma", "داروهای گیاهی و دمنوش", "گیاهان دارویی خشک", None,
        "بازار داروهای گیاهی رو به رشد است",
        "واحد فعال و رو به رشد است؛ تمدید پروانه بهداشتی در جریان است.",
        "پیگیری تمدید پروانه بهداشتی در معاونت غذا و دارو",
        found=[[_o("health", "legal", "standard_health_permits", "medium",
                   "تمدید پروانه بهداشتی دو محصول تازه در صف معاونت غذا و دارو است.",
                   "پیگیری تمدید در معاونت غذا و دارو", "health")]],
        resolves=[[]]),
}
