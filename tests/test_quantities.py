"""Quantities: numbers, number words, bounds, ranges, vague plurals and units (contract section 4)."""

from __future__ import annotations

import pytest

from extractors.mentions.quantities import Quantity, find_quantities, parse_number


def only(text: str) -> Quantity:
    found = find_quantities(text)
    assert len(found) == 1, found
    q = found[0]
    assert text[q.start:q.end] == q.text
    return q


@pytest.mark.parametrize("sentence,lo,hi,unit,approx", [
    ("سلمت الشركة 400 طائرة مسيرة للجيش", 400, 400, "unit", False),
    ("أرسلت موسكو أكثر من 400 صاروخ", 401, None, "unit", False),
    ("تلقى الجيش ما يزيد على 400 قذيفة", 401, None, "shell", False),
    ("نقلت السفن أزيد من 400 حاوية", 401, None, "container", False),
    ("قد تحصل على ما يصل إلى 400 طائرة", None, 400, "unit", False),
    ("وتسلمت حتى 400 دبابة", None, 400, "unit", False),
    ("وصلت أقل من 400 مدرعة", None, 399, "unit", False),
    ("تضم الصفقة بين 200 و300 دبابة", 200, 300, "unit", False),
    ("وشارك نحو 60 جنديا", 60, 60, "person", True),
    ("أرسلت حوالي 60 مروحية", 60, 60, "unit", True),
    ("وصل قرابة 60 مقاتلا", 60, 60, "person", True),
    ("زودت طهران موسكو بمئات المسيرات", 200, 999, "unit", True),
    ("أطلقت عشرات الصواريخ على المدينة", 20, 99, "unit", True),
    ("أرسلت آلاف القذائف", 2000, 9999, "shell", True),
    ("نشرت عشرات الآلاف من الجنود", 20000, 99999, "person", True),
    ("شحنت مئات الآلاف من القذائف", 200000, 999999, "shell", True),
    ("أنفقت ملايين الدولارات على الصفقة", 2_000_000, 9_999_999, "usd", True),
    ("مولت الصفقة بمليارات الدولارات", 2_000_000_000, 9_999_999_999, "usd", True),
    ("نقلت السفينة ألف حاوية", 1000, 1000, "container", False),
    ("سلمت أكثر من ألف حاوية من المعدات", 1001, None, "container", False),
    ("نشرت 3 آلاف جندي", 3000, 3000, "person", False),
    ("بلغت قيمة الصفقة 275 مليون دولار", 275_000_000, 275_000_000, "usd", False),
    ("تحتاج إلى 2,5 مليون قذيفة", 2_500_000, 2_500_000, "shell", False),
    ("خصص الاتحاد 1.5 مليار يورو", 1_500_000_000, 1_500_000_000, "eur", False),
    ("قدمت لندن 20 مليون جنيه استرليني", 20_000_000, 20_000_000, "gbp", False),
    ("دفعت 300 مليون روبل", 300_000_000, 300_000_000, "rub", False),
    ("شحنت 500 طن من الذخيرة", 500, 500, "ton", False),
    ("صنعت المصانع ٢٥ دبابة", 25, 25, "unit", False),
    ("اشترى الجيش 1,000 طلقة", 1000, 1000, "round", False),
    ("اشترى الجيش 1٬000 طلقة", 1000, 1000, "round", False),
    ("طلبت 2٫5 مليون طلقة", 2_500_000, 2_500_000, "round", False),
    ("أسقطت الدفاعات ثلاث طائرات", 3, 3, "unit", False),
    ("أطلقت خمسة صواريخ", 5, 5, "unit", False),
    ("دمرت اثنتا عشرة طائرة", 12, 12, "unit", False),
    ("اشترت مئتي صاروخ", 200, 200, "unit", False),
    ("قتل عشرين مقاتلا", 20, 20, "person", False),
    ("أرسلت مائة وخمسين دبابة", 150, 150, "unit", False),
    ("أسقطت الدفاعات طائرتين", 2, 2, "unit", False),
    ("اعترضت القوات صاروخين", 2, 2, "unit", False),
    ("سلمت 500 ألف قذيفة مدفعية تقريبا", 500_000, 500_000, "shell", True),
    ("ما لا يقل عن 50 منظومة", 50, None, "unit", False),
    ("وأرسل 7 بطاريات", 7, 7, "unit", False),
])
def test_quantity_rules(sentence: str, lo: int | None, hi: int | None, unit: str, approx: bool) -> None:
    q = only(sentence)
    assert (q.min, q.max, q.unit, q.approximate) == (lo, hi, unit, approx)


def test_modifier_and_noun_are_in_the_span() -> None:
    q = only("وقال إن روسيا تلقت أكثر من ألف حاوية من الذخائر")
    assert q.text == "أكثر من ألف حاوية"
    assert q.noun == "حاوية"


def test_diacritics_and_arabic_indic_digits() -> None:
    q = only("أَرْسَلَتْ أَكْثَرَ مِنْ ٤٠٠ طَائِرَةٍ")
    assert (q.min, q.max, q.unit) == (401, None, "unit")
    assert q.noun == "طَائِرَةٍ"


def test_several_quantities_in_order() -> None:
    found = find_quantities("أرسلت 40 دبابة و12 مروحية ونحو 300 جندي")
    assert [(q.min, q.max, q.unit) for q in found] == [(40, 40, "unit"), (12, 12, "unit"), (300, 300, "person")]


def test_bare_number_without_known_noun() -> None:
    q = only("وقال إن 15 وصلت")
    assert (q.min, q.max, q.unit) == (15, 15, None)


@pytest.mark.parametrize("sentence", [
    "وقعت الاتفاقية عام 2023 في موسكو",  # year
    "في 2022 بدأت الحرب",  # year
    "وصل الوفد في 21 أغسطس",  # date
    "وصل الوفد يوم 2023/08/21",  # numeric date
    "ارتفعت الصادرات بنسبة 30% هذا العام",  # percentage
    "ارتفعت الصادرات بنسبة 30 في المئة",  # percentage in words
    "بدأ القصف عند الساعة 10 صباحا",  # time of day
    "بدأ القصف عند 10:30",  # clock time
    "طلبت منظومة إس-400",  # model number
    "تسلم طائرات F-16",  # model number
    "استخدمت مسيرات شاهد-136",  # model number
    "وصلت الشحنة قبل 3 أيام",  # duration
    "زار ست دول",  # a lone small number word with no counted noun
    "للمرة الـ10 خلال العام",  # ordinal
    "تضاعفت الصادرات بين 2021 و2023",  # a span of years
])
def test_things_that_are_not_quantities(sentence: str) -> None:
    assert find_quantities(sentence) == []


@pytest.mark.parametrize("text,value", [
    ("2,5", 2.5), ("1,000", 1000), ("٢٥", 25), ("ألف", 1000), ("ثلاثة", 3), ("مئتي", 200), ("خمسة وعشرون", 25),
    ("ثلاثة آلاف", 3000), ("2,5 مليون", 2_500_000), ("12,345,678", 12_345_678), ("١٫٥", 1.5),
    ("ثلاثمائة", 300), ("إحدى عشرة", 11),
])
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["مئات", "طائرة", "", "abc"])
def test_parse_number_rejects_non_numbers(text: str) -> None:
    assert parse_number(text) is None
