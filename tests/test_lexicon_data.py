"""Data checks for the weapons-systems gazetteer (weapon_systems.csv) and the defence-company list
(defence_companies.csv): size, vocabulary, actor ids, and no phrase that means two things."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from extractors.text.lexicon import load_csv
from extractors.text.matcher import phrase_key

# item_category of the extraction contract, shared/spec/EXTRACTION.md section 4.
ITEM_CATEGORIES = frozenset({
    "drones", "combat_aircraft", "helicopters", "trainer_aircraft", "ballistic_missiles", "missiles",
    "air_defense", "radars", "ammunition", "armored_vehicles", "artillery", "naval_vessels", "electronics",
    "technology", "raw_materials", "military_equipment", "weapons",
})

# Consortium products and groups with no single maker state: the only rows allowed an empty country.
MULTINATIONAL_MODELS = frozenset({
    "Eurofighter Typhoon", "Panavia Tornado", "NH90", "A400M", "Aster", "SAMP/T", "FREMM frigate", "NLAW",
    "Alpha Jet",
})
MULTINATIONAL_COMPANIES = frozenset({"MBDA", "Airbus", "Airbus Defence and Space", "KNDS", "Eurofighter GmbH"})

ARABIC_DIACRITICS = re.compile("[\u064b-\u0652\u0670\u0640]")  # tanwin, short vowels, shadda, sukun, dagger alef, tatweel

SYSTEMS = load_csv("weapon_systems.csv")
COMPANIES = load_csv("defence_companies.csv")
ITEM_MODELS = load_csv("item_models.csv")
ACTOR_IDS = frozenset(r["actor_id"] for r in load_csv("actors.csv"))


def test_columns_are_those_of_item_models() -> None:
    assert set(SYSTEMS[0]) == set(ITEM_MODELS[0]) == {"phrase", "category", "model", "country"}
    assert set(COMPANIES[0]) == {"phrase", "company", "country"}


def test_sizes() -> None:
    assert len({r["model"] for r in SYSTEMS}) >= 400
    assert len({r["company"] for r in COMPANIES}) >= 150


def test_categories_are_the_contract_vocabulary() -> None:
    assert {r["category"] for r in SYSTEMS} <= ITEM_CATEGORIES


def test_a_model_has_one_category_and_one_country() -> None:
    seen: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for r in SYSTEMS:
        seen[r["model"]].add((r["category"], r["country"]))
    assert {m: v for m, v in seen.items() if len(v) > 1} == {}


def test_a_company_has_one_country() -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for r in COMPANIES:
        seen[r["company"]].add(r["country"])
    assert {c: v for c, v in seen.items() if len(v) > 1} == {}


@pytest.mark.parametrize("rows,name,allowed_empty", [
    (SYSTEMS, "model", MULTINATIONAL_MODELS), (COMPANIES, "company", MULTINATIONAL_COMPANIES)])
def test_countries_are_actor_ids(rows, name, allowed_empty) -> None:
    unknown = {(r[name], r["country"]) for r in rows if r["country"] and r["country"] not in ACTOR_IDS}
    assert unknown == set()
    empty = {r[name] for r in rows if not r["country"]}
    assert empty <= allowed_empty


def test_model_countries_agree_with_item_models() -> None:
    known = {r["model"]: r["country"] for r in ITEM_MODELS}
    assert {(r["model"], r["country"], known[r["model"]]) for r in SYSTEMS
            if r["model"] in known and r["country"] != known[r["model"]]} == set()


@pytest.mark.parametrize("rows", [SYSTEMS, COMPANIES], ids=["weapon_systems", "defence_companies"])
def test_phrases_are_clean(rows) -> None:
    assert all(r["phrase"] and r["phrase"] == r["phrase"].strip() for r in rows)
    assert [r["phrase"] for r in rows if ARABIC_DIACRITICS.search(r["phrase"])] == []
    assert all(phrase_key(r["phrase"]) for r in rows)


@pytest.mark.parametrize("rows,fields", [
    (SYSTEMS, ("category", "model")), (COMPANIES, ("company", "country"))], ids=["weapon_systems", "defence_companies"])
def test_no_phrase_means_two_things(rows, fields) -> None:
    """Compared as the matcher sees them (folded tokens), so إف-16 and اف-16 are the same phrase."""
    meanings: dict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)
    for r in rows:
        meanings[phrase_key(r["phrase"])].add(tuple(r[f] for f in fields))
    assert {k: v for k, v in meanings.items() if len(v) > 1} == {}


def test_no_phrase_repeats_or_contradicts_item_models() -> None:
    listed = {phrase_key(r["phrase"]): (r["category"], r["model"]) for r in ITEM_MODELS}
    clashes = [(r["phrase"], listed[phrase_key(r["phrase"])], (r["category"], r["model"]))
               for r in SYSTEMS if phrase_key(r["phrase"]) in listed]
    assert clashes == []


def test_ordinary_words_are_not_bare_phrases() -> None:
    """Systems whose only Arabic name is an ordinary word or a common name appear with a number or a head noun."""
    bare = {"شاهد", "قيصر", "عاصفة", "طوفان", "فتاح", "حصار", "نصر", "قادر", "زلزال", "سوريون", "رافائيل", "ليوناردو",
            "سامي", "هسا", "بيكار", "فجر", "كمان", "مهاجر", "صياد", "رعد", "عماد", "نمر", "كوبرا", "هوك", "ميسترال"}
    for rows in (SYSTEMS, COMPANIES):
        assert {r["phrase"] for r in rows} & bare == set()
