"""The actor gazetteer: coverage of states, alias hygiene, and the forms the contract names."""

from __future__ import annotations

import re
from collections import defaultdict

import pycountry
import pytest

from extractors.mentions import gazetteer as gz
from extractors.text.textnorm import fold_token, tokenize

EXTRA_STATES = {"PSE", "VAT", "XKX", "TWN"}

# Folded aliases allowed to name more than one actor. Each must also be flagged in alias_exceptions.csv.
SHARED_ALLOW_LIST = {
    ("عمان",): {"OMN", "JOR"},  # Oman / Amman
    ("الكونغو",): {"COD", "COG"},
    ("كونغولي",): {"COD", "COG"},
    ("كونغوليه",): {"COD", "COG"},
    ("كونغوليون",): {"COD", "COG"},
    ("كونغوليين",): {"COD", "COG"},
    ("كونغوليات",): {"COD", "COG"},
    ("ماليه",): {"MLI", "MDV"},  # Malian (f) / Male, capital of the Maldives
}

# Words that must never be an alias or a person name on their own (function words, dates, generic nouns).
STOP_WORDS = """
في من إلى الى على عن مع كيف كيفَ الذي التي الذين هذا هذه ذلك تلك هناك هنا بين بعد قبل عند حتى لكن أن إن أنه
كان كانت قال قالت أو ثم كل غير ضد منذ حول خلال لدى عبر قد لا لم لن ما ماذا متى أين
آب أب أمس اليوم غدا الآن العام عام الشهر شهر الأسبوع يوم السنة
يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر
كانون شباط آذار نيسان أيار حزيران تموز أيلول تشرين
السبت الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة
رئيسي الرئيس رئيس الحكومة الدولة دولة الجيش القوات قوات وزير الوزير وزارة مصدر مصادر مسؤول المسؤول
أكثر أقل مليون مليار ألف دولار طائرة طائرات صاروخ صواريخ أسلحة سلاح الحرب حرب قوة القوة
العربية عربي الدولي الدولية جديد الجديد الأول الثانية المسيرة مسيرة الأخبار مدينة المدينة
""".split()


def _by_actor() -> dict[str, list[gz.Alias]]:
    grouped: dict[str, list[gz.Alias]] = defaultdict(list)
    for alias in gz.load_aliases():
        grouped[alias.actor_id].append(alias)
    return grouped


def _resolve(text: str) -> set[str]:
    return {alias.actor_id for alias in gz.alias_index().get(gz.fold_phrase(text), [])}


def _un_members() -> list[str]:
    return list(gz.un_member_codes())


def test_un_member_list_is_193_valid_iso_codes():
    members = _un_members()
    assert len(members) == 193
    assert len(set(members)) == 193
    invalid = [code for code in members if pycountry.countries.get(alpha_3=code) is None]
    assert invalid == []


def test_every_un_member_and_extra_state_is_a_state_actor():
    actors = gz.load_actors()
    wanted = set(_un_members()) | EXTRA_STATES
    missing = sorted(code for code in wanted if code not in actors)
    assert missing == []
    assert all(actors[code].actor_type == "state" for code in wanted)
    # No state outside the UN list and the four named extras sneaks in with a typo'd code.
    assert {a.actor_id for a in actors.values() if a.actor_type == "state"} == wanted


def test_state_ids_are_iso_alpha3_and_other_ids_are_slugs():
    for actor in gz.load_actors().values():
        if actor.actor_type == "state":
            assert re.fullmatch(r"[A-Z]{3}", actor.actor_id), actor
            assert actor.actor_id == "XKX" or pycountry.countries.get(alpha_3=actor.actor_id), actor
        else:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", actor.actor_id), actor


def test_actor_rows_are_well_formed():
    actors = gz.load_actors()
    for actor in actors.values():
        assert actor.actor_type in gz.ACTOR_TYPES, actor
        assert actor.name_ar and actor.name_en, actor
        assert gz.textnorm.ARABIC_LETTER.search(actor.name_ar), actor
        if actor.parent_id is not None:
            assert actor.parent_id in actors, actor
            assert actor.parent_id != actor.actor_id


@pytest.mark.parametrize("code", sorted(EXTRA_STATES) + ["RUS", "USA", "EGY"])
def test_state_name_ar_is_itself_an_alias(code):
    actor = gz.load_actors()[code]
    assert code in _resolve(actor.name_ar)


def test_every_state_has_name_capital_and_demonyms():
    grouped = _by_actor()
    needed = {"name", "capital", "demonym_m", "demonym_f"}
    gaps = {}
    for actor in gz.load_actors().values():
        if actor.actor_type != "state":
            continue
        kinds = {alias.kind for alias in grouped.get(actor.actor_id, [])}
        if needed - kinds:
            gaps[actor.actor_id] = sorted(needed - kinds)
    assert gaps == {}


def test_common_arabic_names_are_used():
    actors = gz.load_actors()
    assert actors["RUS"].name_ar == "روسيا"
    assert actors["IRN"].name_ar == "إيران"
    assert actors["USA"].name_ar == "الولايات المتحدة"
    assert actors["PRK"].name_ar == "كوريا الشمالية"
    assert actors["GBR"].name_ar == "بريطانيا"
    assert actors["RUS"].name_en == "Russia"


def test_formal_names_resolve_to_their_state():
    assert _resolve("الاتحاد الروسي") == {"RUS"}
    assert _resolve("الجمهورية الإسلامية الإيرانية") == {"IRN"}
    assert _resolve("جمهورية كوريا الديمقراطية الشعبية") == {"PRK"}
    assert _resolve("المملكة المتحدة") == {"GBR"}
    assert _resolve("المملكة العربية السعودية") == {"SAU"}


def test_every_alias_points_to_a_known_actor_and_kind():
    actors = gz.load_actors()
    unknown = [(a.actor_id, a.alias) for a in gz.load_aliases() if a.actor_id not in actors]
    assert unknown == []
    bad_kind = [(a.actor_id, a.alias, a.kind) for a in gz.load_aliases() if a.kind not in gz.ALIAS_KINDS]
    assert bad_kind == []


def test_aliases_are_unvocalised_trimmed_and_foldable():
    harakat = re.compile("[\u064b-\u0652\u0640]")
    for alias in gz.load_aliases():
        assert alias.alias == " ".join(alias.alias.split()), alias
        assert not harakat.search(alias.alias), alias
        assert alias.folded and all(alias.folded), alias
        assert alias.folded == tuple(fold_token(t) for t in tokenize(alias.alias))


def test_no_duplicate_rows():
    keys = [(a.actor_id, a.folded, a.kind) for a in gz.load_aliases()]
    assert len(keys) == len(set(keys))


def test_folded_alias_names_one_actor_except_allow_list():
    shared = {}
    for key, aliases in gz.alias_index().items():
        ids = {alias.actor_id for alias in aliases}
        if len(ids) > 1:
            shared[key] = ids
    assert shared == SHARED_ALLOW_LIST


def test_allow_listed_and_flagged_aliases_are_marked_ambiguous():
    ambiguous = gz.ambiguous_aliases()
    for key in SHARED_ALLOW_LIST:
        assert key in ambiguous, key
    for exc in gz.load_alias_exceptions():
        assert exc.kind in gz.EXCEPTION_KINDS, exc
        if exc.kind != "blocker":
            assert exc.folded in gz.alias_index(), f"flagged phrase is not an alias: {exc.phrase}"


def test_blocking_phrases_contain_an_alias():
    # A matcher strips the article, so a span may match with or without ال on its first token.
    index = gz.alias_index()
    for phrase in gz.blocking_phrases():
        spans = {phrase[i:j] for i in range(len(phrase)) for j in range(i + 1, len(phrase) + 1)}
        spans |= {(span[0][2:],) + span[1:] for span in spans if span[0].startswith("ال")}
        assert spans & set(index), f"blocker shadows no alias: {' '.join(phrase)}"
        assert phrase not in index


def test_no_alias_or_person_is_a_stop_word():
    stop = {(fold_token(word),) for word in STOP_WORDS}
    bad_aliases = sorted(a.alias for a in gz.load_aliases() if a.folded in stop)
    bad_persons = sorted(p.name_ar for p in gz.load_persons() if p.folded in stop)
    assert bad_aliases == []
    assert bad_persons == []


def test_no_bare_kiev_spelling_that_is_the_word_how():
    assert _resolve("كيف") == set()
    assert _resolve("كييف") == {"UKR"}


@pytest.mark.parametrize(
    ("text", "actor_id"),
    [
        ("موسكو", "RUS"),
        ("الكرملين", "RUS"),
        ("روسي", "RUS"),
        ("روسية", "RUS"),
        ("الروس", "RUS"),
        ("طهران", "IRN"),
        ("إيرانية", "IRN"),
        ("الحرس الثوري", "IRN"),
        ("كييف", "UKR"),
        ("واشنطن", "USA"),
        ("البيت الأبيض", "USA"),
        ("البنتاغون", "USA"),
        ("البنتاجون", "USA"),
        ("أمريكا", "USA"),
        ("أميركا", "USA"),
        ("أمريكي", "USA"),
        ("أميركية", "USA"),
        ("أمريكيين", "USA"),
        ("بيونغ يانغ", "PRK"),
        ("بيونغيانغ", "PRK"),
        ("كورية شمالية", "PRK"),
        ("سيول", "KOR"),
        ("داونينغ ستريت", "GBR"),
        ("الإليزيه", "FRA"),
        ("قصر بعبدا", "LBN"),
        ("تل أبيب", "ISR"),
        ("الأتراك", "TUR"),
        ("فاغنر", "wagner_group"),
        ("فاجنر", "wagner_group"),
        ("أنصار الله", "houthis"),
        ("الحوثيين", "houthis"),
        ("حزب الله", "hezbollah"),
        ("حماس", "hamas"),
        ("الدعم السريع", "rsf"),
        ("الناتو", "nato"),
        ("حلف شمال الأطلسي", "nato"),
        ("مجلس الأمن الدولي", "un_security_council"),
        ("الأمم المتحدة", "un"),
        ("الاتحاد الأوروبي", "eu"),
        ("الغرب", "west"),
        ("الدول الغربية", "west"),
        ("القوى الغربية", "west"),
        ("رويترز", "reuters"),
        ("وكالة فرانس برس", "afp"),
        ("واشنطن بوست", "washington_post"),
        ("نيويورك تايمز", "new_york_times"),
        ("إرنا", "irna"),
        ("Conflict Armament Research", "conflict_armament_research"),
        ("NATO", "nato"),
    ],
)
def test_contract_surface_forms_resolve(text, actor_id):
    assert _resolve(text) == {actor_id}


def test_spelling_variants_fold_together():
    # Hamza seat, alef maqsura and ta marbuta variants are folded by the matcher, not listed twice.
    assert _resolve("الولايات المتحده") == {"USA"}
    assert _resolve("اوكرانيا") == {"UKR"}
    assert _resolve("روسيه") == {"RUS"}


def test_state_media_hang_under_their_state_and_private_media_do_not():
    actors = gz.load_actors()
    for media_id, state in {"irna": "IRN", "tass": "RUS", "kcna": "PRK", "sana": "SYR", "xinhua": "CHN"}.items():
        assert actors[media_id].actor_type == "media"
        assert actors[media_id].parent_id == state
        assert gz.state_of(media_id) == state
    for media_id in ("reuters", "afp", "new_york_times", "washington_post", "al_jazeera"):
        assert actors[media_id].parent_id is None
        assert gz.state_of(media_id) is None


def test_state_of_walks_parents():
    assert gz.state_of("RUS") == "RUS"
    assert gz.state_of("un_security_council") is None
    assert gz.load_actors()["un_security_council"].parent_id == "un"
    assert gz.state_of("no_such_actor") is None


def test_persons_point_to_known_actors_and_are_unambiguous():
    actors = gz.load_actors()
    persons = gz.load_persons()
    assert len(persons) >= 150
    assert [p.name_ar for p in persons if p.actor_id not in actors] == []
    for key, rows in gz.person_index().items():
        assert len({p.actor_id for p in rows}) == 1, key


@pytest.mark.parametrize(
    ("name", "actor_id"),
    [
        ("بوتين", "RUS"),
        ("فلاديمير بوتين", "RUS"),
        ("زيلينسكي", "UKR"),
        ("روبيو", "USA"),
        ("عراقجي", "IRN"),
        ("كيم جونغ أون", "PRK"),
        ("نتنياهو", "ISR"),
        ("ستولتنبرغ", "nato"),
        ("روته", "nato"),
    ],
)
def test_known_persons_resolve(name, actor_id):
    rows = gz.person_index().get(gz.fold_phrase(name), [])
    assert {p.actor_id for p in rows} == {actor_id}


def test_persons_do_not_collide_with_actor_aliases():
    clashes = sorted(" ".join(key) for key in gz.person_index() if key in gz.alias_index())
    assert clashes == []


def test_loaders_are_cached_and_index_is_complete():
    assert gz.load_aliases() is gz.load_aliases()
    assert gz.load_actors() is gz.load_actors()
    indexed = sum(len(v) for v in gz.alias_index().values())
    assert indexed == len(gz.load_aliases())
    assert gz.max_alias_tokens() >= 4
