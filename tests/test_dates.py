"""Date mentions and their resolution against the publication date (contract section 6)."""

from __future__ import annotations

from datetime import date

import pytest

from extractors.mentions.dates import find_dates, fold_with_offsets

SAT = date(2024, 3, 9)  # a Saturday
FRI = date(2024, 3, 8)
MON = date(2024, 3, 11)


def only(text: str, pub: date | None):
    found = find_dates(text, pub)
    assert len(found) == 1, found
    m = found[0]
    assert text[m.start:m.end] == m.text  # offsets index the original string
    return m


def resolved(text: str, pub: date | None) -> tuple[date | None, str | None]:
    m = only(text, pub)
    return m.value, m.granularity


# --- relative days -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("sentence,expected", [
    ("وصل الوفد اليوم إلى العاصمة", date(2024, 3, 9)),
    ("وقال المتحدث أمس إن المحادثات مستمرة", date(2024, 3, 8)),
    ("وكان الرئيس قد صرح امس بأن", date(2024, 3, 8)),
    ("وأعلن البارحة عن الاتفاق", date(2024, 3, 8)),
    ("وجرت المكالمة أول أمس بين الطرفين", date(2024, 3, 7)),
    ("ويصل الوزير غدا إلى العاصمة", date(2024, 3, 10)),
    ("وأكد بالأمس أن الصفقة تمت", date(2024, 3, 8)),
])
def test_relative_days(sentence: str, expected: date) -> None:
    assert resolved(sentence, SAT) == (expected, "day")


def test_today_with_weekday_warns_on_mismatch_only() -> None:
    m = only("زار الوفد العسكري موسكو اليوم الإثنين", SAT)
    assert (m.value, m.granularity, m.text) == (SAT, "day", "اليوم الإثنين")
    assert m.warning is not None
    assert only("زار الوفد العسكري موسكو اليوم الإثنين", MON).warning is None


def test_yesterday_with_weekday() -> None:
    m = only("ونفت الوزارة أمس الخميس صحة التقرير", FRI)
    assert (m.value, m.warning) == (date(2024, 3, 7), None)
    mismatch = only("ونفت الوزارة أمس الخميس صحة التقرير", SAT)
    assert mismatch.value == date(2024, 3, 8)
    assert mismatch.warning is not None


@pytest.mark.parametrize("sentence,expected", [
    ("وصلت الشحنة مساء الخميس إلى الميناء", date(2024, 3, 7)),
    ("انطلقت الطائرات صباح الجمعة من القاعدة", date(2024, 3, 8)),
    ("وقع الهجوم ليلة الأحد على المدينة", date(2024, 3, 3)),
])
def test_part_of_day_with_weekday(sentence: str, expected: date) -> None:
    assert resolved(sentence, SAT) == (expected, "day")


# --- weekdays ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sentence,expected", [
    ("وقال الوزير الخميس إن بلاده لن تتراجع", date(2024, 3, 7)),
    ("وأعلن الجيش، الجمعة، عن إسقاط طائرة", date(2024, 3, 8)),
    ("وعقد الطرفان اجتماعا يوم الاثنين في العاصمة", date(2024, 3, 4)),
    ("وصرح الإثنين بأن", date(2024, 3, 4)),
    ("وصرح الأثنين بأن", date(2024, 3, 4)),
    ("والتقى الوزيران يوم السبت", date(2024, 3, 9)),  # same weekday as P -> P itself
    ("وجرت محادثات الثلاثاء", date(2024, 3, 5)),
    ("وأفادت الوكالة الأربعاء", date(2024, 3, 6)),
    ("وفي الأحد الماضي", date(2024, 3, 3)),
])
def test_bare_weekday_is_latest_on_or_before_pub(sentence: str, expected: date) -> None:
    assert resolved(sentence, SAT) == (expected, "day")


def test_weekday_past_and_next_qualifiers() -> None:
    assert resolved("وقع الاتفاق الجمعة الماضية", FRI) == (date(2024, 3, 1), "day")
    assert resolved("وقع الاتفاق يوم الجمعة الماضي", SAT) == (date(2024, 3, 8), "day")
    assert resolved("ستبدأ التدريبات الجمعة المقبلة", FRI) == (date(2024, 3, 15), "day")
    assert resolved("ستبدأ التدريبات يوم الثلاثاء المقبل", SAT) == (date(2024, 3, 12), "day")


@pytest.mark.parametrize("sentence", [
    "وأدى المصلون صلاة الجمعة في المسجد",
    "وقال الإمام في خطبة الجمعة إن",
    "واتفق الاثنان على أن العلاقة بين الاثنين جيدة",
])
def test_weekday_false_positives(sentence: str) -> None:
    assert find_dates(sentence, SAT) == []


# --- periods -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("phrase,pub,expected,gran", [
    ("الشهر الماضي", SAT, date(2024, 2, 1), "month"),
    ("الشهر الماضي", date(2024, 1, 15), date(2023, 12, 1), "month"),
    ("الشهر الجاري", SAT, date(2024, 3, 1), "month"),
    ("هذا الشهر", SAT, date(2024, 3, 1), "month"),
    ("في وقت سابق من هذا الشهر", SAT, date(2024, 3, 1), "month"),
    ("مطلع الشهر", SAT, date(2024, 3, 1), "month"),
    ("الشهر المقبل", date(2024, 12, 20), date(2025, 1, 1), "month"),
    ("العام الماضي", SAT, date(2023, 1, 1), "year"),
    ("السنة الماضية", SAT, date(2023, 1, 1), "year"),
    ("العام المنصرم", SAT, date(2023, 1, 1), "year"),
    ("هذا العام", SAT, date(2024, 1, 1), "year"),
    ("العام الجاري", SAT, date(2024, 1, 1), "year"),
    ("العام الحالي", SAT, date(2024, 1, 1), "year"),
    ("العام المقبل", SAT, date(2025, 1, 1), "year"),
    ("السنة المقبلة", SAT, date(2025, 1, 1), "year"),
    ("العام القادم", SAT, date(2025, 1, 1), "year"),
    ("الأسبوع الماضي", SAT, date(2024, 2, 26), "week"),
    ("هذا الأسبوع", SAT, date(2024, 3, 4), "week"),
    ("الأسبوع المقبل", SAT, date(2024, 3, 11), "week"),
])
def test_periods(phrase: str, pub: date, expected: date, gran: str) -> None:
    assert resolved(f"وقالت الوزارة إن الشحنة وصلت {phrase} إلى الميناء", pub) == (expected, gran)


def test_office_titles_are_not_years() -> None:
    assert find_dates("وقال الأمين العام السابق للحلف إن", SAT) == []


# --- month names -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pub,expected", [
    (date(2024, 3, 9), date(2023, 5, 1)),
    (date(2024, 6, 10), date(2024, 5, 1)),
    (date(2024, 5, 20), date(2023, 5, 1)),  # strictly before P's month
])
def test_month_last(pub: date, expected: date) -> None:
    m = only("تلقت القوات مئات المسيرات حتى مايو الماضي", pub)
    assert (m.value, m.granularity, m.lead, m.text) == (expected, "month", "حتى", "مايو الماضي")


def test_month_with_preposition_is_latest_on_or_before_pub_month() -> None:
    assert resolved("ووصلت الدفعة الأولى في يوليو", SAT) == (date(2023, 7, 1), "month")
    assert resolved("ووصلت الدفعة الأولى في مارس", SAT) == (date(2024, 3, 1), "month")
    m = only("ويتواصل التعاون منذ أغسطس", SAT)
    assert (m.lead, m.text, m.value) == ("منذ", "أغسطس", date(2023, 8, 1))


@pytest.mark.parametrize("phrase", ["يوليو 2022", "تموز/يوليو 2022", "شهر يوليو من العام 2022", "تموز 2022"])
def test_month_year_is_absolute(phrase: str) -> None:
    m = only(f"جرت المناورات في {phrase} قرب الحدود", None)
    assert (m.value, m.granularity, m.kind) == (date(2022, 7, 1), "month", "absolute")


@pytest.mark.parametrize("phrase,expected", [
    ("21 أغسطس 2023", date(2023, 8, 21)),
    ("21 آب/أغسطس 2023", date(2023, 8, 21)),
    ("الثالث من مارس 2023", date(2023, 3, 3)),
    ("الحادي والعشرين من أغسطس 2023", date(2023, 8, 21)),
    ("3 آذار 2023", date(2023, 3, 3)),
    ("21st, August 2023", date(2023, 8, 21)),
    ("August 21, 2023", date(2023, 8, 21)),
    ("2023/08/21", date(2023, 8, 21)),
    ("21/08/2023", date(2023, 8, 21)),
    ("2023-08-21", date(2023, 8, 21)),
    ("٢١ أغسطس ٢٠٢٣", date(2023, 8, 21)),
    ("الاثنين 21 أغسطس 2023", date(2023, 8, 21)),
])
def test_absolute_days_need_no_pub(phrase: str, expected: date) -> None:
    m = only(f"وقعت الحادثة يوم {phrase} قرب الحدود", None)
    assert (m.value, m.granularity, m.kind, m.warning) == (expected, "day", "absolute", None)


def test_absolute_day_with_wrong_weekday_warns() -> None:
    m = only("في الأحد 21 أغسطس 2023", None)
    assert m.value == date(2023, 8, 21)
    assert m.warning is not None


def test_invalid_calendar_dates_are_dropped() -> None:
    assert find_dates("في 31/02/2023 وقع", None) == []


@pytest.mark.parametrize("name,month", [
    ("كانون الثاني", 1), ("شباط", 2), ("آذار", 3), ("نيسان", 4), ("أيار", 5), ("حزيران", 6), ("تموز", 7),
    ("آب", 8), ("أيلول", 9), ("تشرين الأول", 10), ("تشرين الثاني", 11), ("كانون الأول", 12),
    ("يناير", 1), ("فبراير", 2), ("مارس", 3), ("أبريل", 4), ("إبريل", 4), ("مايو", 5), ("يونيو", 6),
    ("يونيه", 6), ("يوليو", 7), ("يوليه", 7), ("أغسطس", 8), ("سبتمبر", 9), ("أكتوبر", 10), ("نوفمبر", 11),
    ("ديسمبر", 12),
])
def test_both_month_series(name: str, month: int) -> None:
    assert resolved(f"وصلت السفينة في 3 {name} 2021 إلى الميناء", None) == (date(2021, month, 3), "day")


def test_several_days_one_mention_first_day() -> None:
    m = only("شنت القوات غارات في 8 و5 تموز/يوليو على المواقع", SAT)
    assert (m.value, m.granularity, m.text) == (date(2023, 7, 8), "day", "8 و5 تموز/يوليو")
    assert only("شنت القوات غارات في 8 و5 تموز/يوليو على المواقع", None).value is None
    assert only("في 8 و5 تموز/يوليو 2022", None).value == date(2022, 7, 8)


def test_day_month_without_year_is_latest_on_or_before_pub() -> None:
    assert resolved("وصل في 15 مارس", SAT) == (date(2023, 3, 15), "day")
    assert resolved("وصل في 5 مارس", SAT) == (date(2024, 3, 5), "day")


@pytest.mark.parametrize("sentence", ["أطلق الجيش الصواريخ عام 2022", "بدأت المفاوضات في 2022 بين الطرفين"])
def test_year_alone(sentence: str) -> None:
    m = only(sentence, None)
    assert (m.value, m.granularity, m.kind) == (date(2022, 1, 1), "year", "absolute")


@pytest.mark.parametrize("sentence", [
    "وقال إن بلاده مارس الضغط على الحكومة",  # مارس the verb
    "وجلس آب مع أبنائه في البيت",  # آب outside date context
    "وقال أب إن ابنه قتل في أيار",  # أيار with a preposition is a month, but أب is not
    "وقال مايو إنه سيحضر",  # a bare مايو with no context
])
def test_ambiguous_month_words(sentence: str) -> None:
    found = find_dates(sentence, SAT)
    assert all(m.text in ("أيار",) for m in found)


def test_ambiguous_months_in_date_context() -> None:
    assert resolved("وصلت الدفعة في 3 آب", SAT) == (date(2023, 8, 3), "day")
    assert resolved("وصلت الدفعة خلال شهر آب", SAT) == (date(2023, 8, 1), "month")
    assert resolved("وصلت الدفعة في أيار", SAT) == (date(2023, 5, 1), "month")
    assert resolved("وصلت الدفعة مارس الماضي", date(2024, 6, 1)) == (date(2024, 3, 1), "month")


# --- vague and computable durations ------------------------------------------------------------------------

@pytest.mark.parametrize("sentence", [
    "بعد غزوها لأوكرانيا قبل حوالي 18 شهرًا",
    "وصلت الشحنة قبل أيام",
    "ستصل الطائرات في الأيام المقبلة",
    "تكثفت الهجمات في الأيام الأخيرة",
    "ازدادت الشحنات في الأسابيع الأخيرة",
    "تراجعت الإمدادات خلال الأشهر الماضية",
    "كما ذكرت الصحيفة سابقا",
    "وأعلن مؤخرا أن",
    "وتواصل القصف على مدى أشهر",
    "وقعت انفجارات الليلة الماضية",
    "وتستمر الحرب منذ عام",
])
def test_vague_times_keep_text_without_value(sentence: str) -> None:
    m = only(sentence, SAT)
    assert (m.kind, m.value, m.granularity) == ("vague", None, None)
    assert m.text in sentence


def test_exact_durations_resolve() -> None:
    assert resolved("وصلت الشحنة قبل 3 أيام", SAT) == (date(2024, 3, 6), "day")
    assert resolved("وصلت الشحنة قبل ثلاثة أيام", SAT) == (date(2024, 3, 6), "day")
    assert resolved("وصلت الشحنة قبل يومين", SAT) == (date(2024, 3, 7), "day")
    assert resolved("وقعت الاتفاقية قبل عامين", SAT) == (date(2022, 1, 1), "year")
    assert resolved("وقعت الاتفاقية قبل عامين", None) == (None, None)
    # relative to another event, not to the publication date
    assert only("وقعت الاتفاقية قبل عام من الحرب", SAT).kind == "vague"


def test_earlier_since_year_is_lead_plus_year() -> None:
    m = only("تتعاون الدولتان منذ عام 2015 في المجال", None)
    assert (m.lead, m.text, m.value) == ("منذ", "عام 2015", date(2015, 1, 1))


# --- no publication date -----------------------------------------------------------------------------------

def test_without_pub_only_absolute_dates_resolve() -> None:
    found = find_dates("قال أمس إن الشحنة وصلت الجمعة، وكانت قد غادرت في 21 أغسطس 2023 والشهر الماضي", None)
    assert [m.text for m in found] == ["أمس", "الجمعة", "21 أغسطس 2023", "الشهر الماضي"]
    assert [m.value for m in found] == [None, None, date(2023, 8, 21), None]
    assert [m.kind for m in found] == ["relative", "relative", "absolute", "relative"]
    assert found[0].granularity is None


# --- robustness --------------------------------------------------------------------------------------------

def test_diacritics_tatweel_and_offsets() -> None:
    text = "وَقَالَ الْمُتَحَدِّثُ أَمْسِ الْخَمِيسِ إِنَّ الشُّحْنَةَ وَصَلَتْ يَوْمَ الجمعـــة"
    found = find_dates(text, FRI)
    assert [m.value for m in found] == [date(2024, 3, 7), date(2024, 3, 8)]
    for m in found:
        assert text[m.start:m.end] == m.text
    assert found[0].text.startswith("أَمْسِ")
    assert found[1].text == "يَوْمَ الجمعـــة"


def test_mentions_are_ordered_and_non_overlapping() -> None:
    text = "التقى الوزيران الإثنين، بعد زيارة في 3 آذار 2023، وسيلتقيان الشهر المقبل قبل نهاية العام"
    found = find_dates(text, SAT)
    assert [m.text for m in found] == ["الإثنين", "3 آذار 2023", "الشهر المقبل", "نهاية العام"]
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))


def test_next_day_is_not_today() -> None:
    assert find_dates("وفي اليوم التالي وصلت القافلة", SAT) == []


def test_fold_with_offsets_maps_back() -> None:
    text = "قَالَ ٢٠٢٣ أمـس"
    ft = fold_with_offsets(text)
    assert ft.folded == "قال 2023 امس"
    i = ft.folded.index("امس")
    assert text[ft.orig(i):ft.orig(i + 3)] == "أمـس"


def _sentences_of_the_bundled_texts() -> list[str]:
    from pathlib import Path

    import yaml

    from extractors.text.segments import split_sentences

    root = Path(__file__).resolve().parents[1]
    texts = [p.read_text(encoding="utf-8", errors="replace")
             for p in sorted([*root.glob("examples/inbox/*.txt"), *root.glob("tests/fixtures/**/*.txt"),
                              *(root.parent / "shared" / "corpus" / "inbox").glob("*.txt")])]  # real pages where present
    for cases in sorted(root.glob("tests/fixtures/cases/*.yaml")):  # the self-written construction cases
        texts += [str(c["text"]) for c in yaml.safe_load(cases.read_text(encoding="utf-8")) if c.get("text")]
    out = []
    for text in texts:
        for line in text.splitlines():
            out += [line[a:b] for a, b in split_sentences(line)]
    return out


def test_date_prefilter_never_hides_a_date() -> None:
    """may_hold_date lets extraction skip the date regex; it must be true wherever find_dates finds something."""
    from extractors.mentions.dates import may_hold_date
    from extractors.text.tokens import tokens_of

    sentences = _sentences_of_the_bundled_texts()
    assert len(sentences) > 300
    skipped = 0
    for s in sentences:
        if not may_hold_date(t.folded for t in tokens_of(s)):
            skipped += 1
            assert find_dates(s, date(2024, 5, 17)) == [], s
    assert skipped > 0  # the shortcut does apply to some sentences


@pytest.mark.parametrize("text,expected", [
    ("وصل الوفد الجمعة إلى العاصمة", True),
    ("وقال الوزير إن بلاده لن تتراجع", False),
    ("وبحلول ٢٠٢٤ سيكتمل التسليم", True),
    ("وفي March كانت المفاوضات", True),
    ("والأربعاء الماضي أعلنت الوزارة", True),
])
def test_date_prefilter_examples(text: str, expected: bool) -> None:
    from extractors.mentions.dates import may_hold_date
    from extractors.text.tokens import tokens_of

    assert may_hold_date(t.folded for t in tokens_of(text)) is expected
    if not expected:
        assert find_dates(text, date(2024, 5, 17)) == []


def test_branch_guards_change_no_date_match() -> None:
    """The master regex with its branch guards (regexguard) finds exactly what it finds without them."""
    import re
    from pathlib import Path

    from extractors.app.bench import CorpusGenerator, load_aliases, load_samples, samples_dir
    from extractors.mentions.dates import _MASTER, _master_source, fold_with_offsets

    plain = re.compile(_master_source(guards=False))
    assert _MASTER.pattern == _master_source(guards=True) != plain.pattern
    root = Path(__file__).resolve().parents[1]
    texts = [p.read_text(encoding="utf-8") for p in sorted((root / "examples" / "inbox").glob("*.txt"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted((root.parent / "shared" / "corpus" / "inbox").glob("*.txt"))]
    gen = CorpusGenerator(load_samples(samples_dir()), load_aliases())
    texts += [gen.article(i) for i in range(150)]
    lines = [line for text in texts for line in text.split("\n") if line.strip()]
    assert len(lines) > 2000
    for line in lines:
        padded = " " + fold_with_offsets(line).folded
        assert [(m.span(), m.lastgroup, m.groups()) for m in _MASTER.finditer(padded)] == [
            (m.span(), m.lastgroup, m.groups()) for m in plain.finditer(padded)]


def test_fold_chars_equals_the_chain_of_every_pair() -> None:
    """_fold_chars replaces the common characters, then the rare ones only when a scan finds one: the same as
    replacing every pair in table order, because no replacement character is itself replaced."""
    from extractors.mentions.dates import _FOLD_PAIRS, _REMOVED_RE, _fold_chars

    sources = {src for src, _ in _FOLD_PAIRS}
    assert not sources & {dst for _, dst in _FOLD_PAIRS}
    texts = ["أعلنت إيران في ٣ آذار/مارس ٢٠٢٣ أنّها ستسلّم ١٫٥ مليون قذيفة إلى روسيا بنسبة ٪٢٠",
             "یک کشور\u00a0و\u2003۱۲۳ مؤتمر لـئلا ٱلقائد", "plain ascii", "", "".join(sorted(sources))]
    for text in texts:
        chained = _REMOVED_RE.sub("", text)
        for src, dst in _FOLD_PAIRS:
            chained = chained.replace(src, dst)
        assert _fold_chars(text) == chained
