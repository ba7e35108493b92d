"""A generated corpus for the near-duplicate tests: distinct articles on the same topics, written from one pool of
sentence patterns with different actors, weapons, places, people and numbers, and copies of some of them with
the edits republishing sites make (new headline, paragraphs cut and reordered, words changed, a credit line
added or dropped, site boilerplate and teasers). All sentences are composed for these tests."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

STATES = ("روسيا", "إيران", "الصين", "تركيا", "مصر", "الجزائر", "المغرب", "السعودية", "الإمارات", "قطر", "العراق",
          "الهند", "باكستان", "فرنسا", "ألمانيا", "إيطاليا", "كوريا الجنوبية", "البرازيل", "إندونيسيا", "نيجيريا",
          "إثيوبيا", "صربيا", "بيلاروسيا", "فنزويلا", "ماليزيا", "تايلاند", "الأردن", "الكويت", "عمان", "ليبيا")
ITEMS = ("طائرات مسيرة", "مقاتلات حديثة", "منظومات دفاع جوي", "صواريخ مضادة للدروع", "مدرعات ناقلة للجند",
         "زوارق دورية", "مروحيات نقل", "رادارات إنذار مبكر", "قذائف مدفعية", "بنادق هجومية", "غواصات صغيرة",
         "صواريخ باليستية قصيرة المدى", "أنظمة حرب إلكترونية", "طائرات تدريب", "دبابات قتال رئيسية")
CITIES = ("العاصمة", "ميناء الشمال", "قاعدة جوية قرب الحدود", "المنطقة الصناعية", "معرض الدفاع الدولي",
          "مقر وزارة الدفاع", "مدينة ساحلية", "قاعدة بحرية في الجنوب", "مطار عسكري", "مركز التدريب الرئيسي")
PEOPLE = ("العميد سامر الخطيب", "اللواء فؤاد المصري", "الوزير حسن البدري", "العقيد نادر سليم", "المتحدث عادل منصور",
          "الجنرال كريم حداد", "السفير وليد عثمان", "الخبير مازن يوسف", "النائب هالة صبري", "المحلل رامي عيسى")
OUTLET_LINES = ("تابعوا آخر الأخبار عبر حساباتنا على مواقع التواصل الاجتماعي.", "جميع الحقوق محفوظة للموقع.",
                "لمزيد من الأخبار اشترك في نشرتنا البريدية.", "حمل تطبيقنا لتصلك الأخبار العاجلة أولا بأول.",
                "المصدر: وكالات", "شارك هذا الخبر مع أصدقائك.")
CREDITS = ("(رويترز)", "(فرانس برس)", "(الأناضول)", "(أسوشيتد برس)", "(سبوتنيك)")
SYNONYMS = (("قال", "أكد"), ("أعلنت", "كشفت"), ("الصفقة", "الاتفاقية"), ("الجديدة", "الحديثة"),
            ("خلال", "في غضون"), ("وأضاف", "وتابع"), ("مسؤولين", "مسؤولون"), ("الأسبوع", "الأيام"))

TITLES = (
    "{A} تتسلم دفعة جديدة من {ITEM} من {B}",
    "صفقة بين {A} و{B} لشراء {ITEM}",
    "{B} توافق على بيع {A} {N} من {ITEM}",
    "تقارير عن وصول {ITEM} إلى {A}",
    "{A} تبحث مع {B} توسيع التعاون العسكري",
    "{PERSON}: {A} ستحصل على {ITEM} قريبا",
)
SENTENCES = (
    "أعلنت وزارة الدفاع في {A} أنها تسلمت {N} من {ITEM} من {B} في {CITY}.",
    "وقال {PERSON} إن الصفقة تشمل أيضا برامج تدريب وصيانة تمتد لسنوات.",
    "وبحسب مصادر مطلعة فإن قيمة الاتفاق تتجاوز {M} مليون دولار.",
    "وكانت {B} قد وقعت مع {A} مذكرة تفاهم في {MONTH} الماضي لتطوير الصناعات الدفاعية.",
    "ومن المتوقع أن تصل الدفعة الثانية من {ITEM} قبل نهاية العام.",
    "وأضاف {PERSON} أن بلاده تسعى إلى تنويع مصادر تسليحها بعيدا عن الموردين التقليديين.",
    "وشهد {CITY} عرضا عسكريا ظهرت فيه {ITEM} للمرة الأولى.",
    "وانتقدت {C} الصفقة معتبرة أنها تهدد التوازن العسكري في المنطقة.",
    "ويأتي ذلك بعد زيارة أجراها وفد عسكري من {A} إلى {B} استمرت {D} أيام.",
    "وأشار تقرير لمعهد أبحاث دولي إلى أن {A} ضاعفت وارداتها من الأسلحة خلال السنوات الخمس الأخيرة.",
    "ولم يصدر أي تعليق رسمي من {B} على هذه المعلومات حتى الآن.",
    "وذكرت وسائل إعلام محلية أن {N} من الفنيين سيشرفون على تشغيل {ITEM} في {CITY}.",
    "ويرى {PERSON} أن هذه الخطوة تعكس تحولا في السياسة الدفاعية لـ{A}.",
    "وتجري {A} و{B} مناورات مشتركة سنوية منذ عام {Y}.",
    "وتعد {B} من أكبر مصدري {ITEM} في العالم بحسب بيانات دولية.",
    "وأكد {PERSON} خلال مؤتمر صحفي في {CITY} أن التعاون مع {B} سيتواصل.",
    "وفي سياق متصل بحث رئيس أركان {A} مع نظيره من {C} سبل تعزيز التنسيق الأمني.",
    "وتخطط {A} لإنتاج {ITEM} محليا بترخيص من {B} خلال {D} سنوات.",
    "وأوضح بيان رسمي أن التسليم تأخر بسبب مشكلات في سلاسل التوريد.",
    "وكانت تقارير سابقة قد تحدثت عن اهتمام {A} بشراء {ITEM} من {C} أيضا.",
    "وقالت وزارة الخارجية في {C} إنها تتابع التطورات عن كثب.",
    "وتبلغ مدة العقد {D} سنوات قابلة للتجديد وفق ما أفاد {PERSON}.",
    "ودخلت أولى وحدات {ITEM} الخدمة في {CITY} الشهر الماضي.",
    "ويقول خبراء إن {ITEM} ستمنح {A} قدرات جديدة في مجال المراقبة والردع.",
    "وتواجه {A} ضغوطا متزايدة لتحديث ترسانتها القديمة التي يعود معظمها إلى ثمانينيات القرن الماضي.",
    "وأفاد {PERSON} بأن طواقم من {A} أنهت دورة تدريبية في {B} استمرت {D} أسابيع.",
    "ونقلت صحيفة محلية عن ضابط رفيع قوله إن الجيش تسلم {N} وحدة حتى الآن.",
    "ورفض متحدث باسم السفارة في {CITY} الإدلاء بأي تفاصيل إضافية حول الجدول الزمني.",
    "وتشير بيانات الجمارك إلى شحنات متكررة بين موانئ {B} و{A} منذ مطلع العام.",
    "ودعا برلمانيون في {B} إلى مراجعة قواعد تصدير السلاح بعد الكشف عن الصفقة.",
    "وتسعى {C} بدورها إلى إبرام اتفاق مماثل مع مورد آسيوي لم تكشف هويته.",
    "وقدرت مراكز بحثية كلفة برنامج التحديث بنحو {M} مليون دولار على مدى عقد.",
    "وأظهرت صور نشرتها وسائل التواصل الاجتماعي قافلة عسكرية قرب {CITY} يعتقد أنها تنقل {ITEM}.",
    "واعتبر {PERSON} أن توقيت الإعلان يحمل رسائل سياسية إلى الدول المجاورة.",
    "وتضمن الاتفاق بندا يسمح بنقل جزء من التكنولوجيا إلى مصانع محلية في {A}.",
    "ولم تستبعد مصادر دبلوماسية أن تفرض {C} قيودا على التعاملات مع الشركات المعنية.",
    "وتحدث مسؤولون عن خطط لإنشاء مركز صيانة إقليمي في {CITY} يخدم عدة دول.",
    "وكان الرئيس قد زار {B} في {MONTH} الماضي والتقى كبار مسؤولي الصناعات العسكرية.",
    "وأجرت القوات الجوية في {A} اختبارات ميدانية على {ITEM} قبل اعتمادها رسميا.",
    "وحذر {PERSON} من أن سباق التسلح في المنطقة قد يتسارع خلال السنوات المقبلة.",
)


@dataclass
class Doc:
    doc_id: str
    story: str  # the original's id: every copy shares it
    published: date
    text: str


def _fill(rng: random.Random, pattern: str, slots: dict[str, str]) -> str:
    local = dict(slots)
    local.setdefault("N", str(rng.randint(2, 300)))
    local["M"] = str(rng.randint(10, 9000))
    local["D"] = str(rng.randint(2, 15))
    local["Y"] = str(rng.randint(1995, 2023))
    local["MONTH"] = rng.choice(("يناير", "مارس", "مايو", "يوليو", "سبتمبر", "نوفمبر"))
    local["CITY"] = rng.choice(CITIES)
    local["PERSON"] = rng.choice(PEOPLE)
    return pattern.format(**local)


def original(rng: random.Random, i: int) -> Doc:
    a, b, c = rng.sample(STATES, 3)
    slots = {"A": a, "B": b, "C": c, "ITEM": rng.choice(ITEMS), "N": str(rng.randint(2, 300))}
    paragraphs = [_fill(rng, p, slots) for p in rng.sample(SENTENCES, rng.randint(9, 14))]
    # two sentences to a paragraph now and then, as news sites do
    merged: list[str] = []
    for p in paragraphs:
        if merged and rng.random() < 0.25:
            merged[-1] += " " + p
        else:
            merged.append(p)
    title = _fill(rng, rng.choice(TITLES), slots)
    if rng.random() < 0.4:
        merged[0] = f"{rng.choice(CITIES)} {rng.choice(CREDITS)} - {merged[0]}"
    published = date(2023, 1, 1) + timedelta(days=rng.randint(0, 700))
    return Doc(f"orig{i:05d}", f"orig{i:05d}", published, "\n\n".join([title, *merged]))


def copy_of(rng: random.Random, doc: Doc, j: int) -> Doc:
    """A republication: new headline, some paragraphs cut (at most half), neighbours swapped, a few words
    changed, a credit added or dropped, the site's boilerplate and a teaser of another story at the end."""
    lines = doc.text.split("\n\n")
    body = lines[1:]
    keep = max(2, len(body) - rng.randint(0, len(body) // 2))
    if rng.random() < 0.5:
        body = body[:keep]  # trimmed from the end, the usual cut
    else:
        drop = set(rng.sample(range(len(body)), len(body) - keep))
        body = [p for k, p in enumerate(body) if k not in drop]
    if len(body) > 2 and rng.random() < 0.5:
        k = rng.randrange(len(body) - 1)
        body[k], body[k + 1] = body[k + 1], body[k]
    for _ in range(rng.randint(0, 3)):
        old, new = rng.choice(SYNONYMS)
        k = rng.randrange(len(body))
        body[k] = body[k].replace(old, new, 1)
    if rng.random() < 0.3:
        body[-1] += " " + rng.choice(CREDITS)
    title_words = lines[0].split()
    rng.shuffle(title_words)
    title = "عاجل: " + " ".join(title_words[: max(3, len(title_words) - 2)])
    tail = [rng.choice(OUTLET_LINES)]
    if rng.random() < 0.5:
        tail.append("اقرأ أيضا: " + _fill(rng, rng.choice(TITLES), {
            "A": rng.choice(STATES), "B": rng.choice(STATES), "ITEM": rng.choice(ITEMS)}))
    published = doc.published + timedelta(days=rng.randint(0, 3))
    return Doc(f"{doc.doc_id}-copy{j}", doc.story, published, "\n\n".join([title, *body, *tail]))


def corpus(n_distinct: int, n_copies: int, seed: int = 15) -> list[Doc]:
    """``n_distinct`` originals and ``n_copies`` copies of randomly chosen ones (1-4 copies per chosen original)."""
    rng = random.Random(seed)
    docs = [original(rng, i) for i in range(n_distinct)]
    copies: list[Doc] = []
    while len(copies) < n_copies:
        base = rng.choice(docs[:n_distinct])
        for j in range(min(rng.randint(1, 4), n_copies - len(copies))):
            copies.append(copy_of(rng, base, len(copies) * 10 + j))
    return docs + copies
