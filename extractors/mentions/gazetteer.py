"""Actor gazetteer: actor ids (contract section 3), their Arabic surface forms and well-known persons.

Data lives in ``extractors/lexicons``:

- ``actors.csv`` — one row per actor: ISO 3166-1 alpha-3 for states, lowercase slugs otherwise.
- ``actor_aliases.csv`` — surface forms (names, capitals, seats of power, demonyms, institutions ...).
  Singular demonyms are stored without the article (the matcher strips clitics and ``ال``); names that
  carry the article in use (``العراق``, ``الروس``) are stored with it.
- ``persons.csv`` — widely reported persons and the actor they speak for.
- ``alias_exceptions.csv`` — aliases that are also common words or name two actors, and phrases that
  contain an alias but are not an actor mention (``الضفة الغربية``, ``القاعدة الجوية``).
- ``un_members.csv`` — the 193 UN member states (alpha-3).

Every alias carries ``folded``: its tokens in the matching form of :func:`extractors.text.textnorm.fold_token`.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from extractors.text import textnorm
from extractors.text.lexicon import load_csv

_PACKAGE = "extractors.lexicons"

ACTOR_TYPES = frozenset({"state", "organisation", "armed_group", "bloc", "media", "company", "institution"})
ALIAS_KINDS = frozenset(
    {
        "name",
        "formal_name",
        "short_name",
        "capital",
        "seat",
        "demonym_m",
        "demonym_f",
        "demonym_pl",
        "demonym_pl_f",
        "abbrev",
        "english",
        "institution",
    }
)
EXCEPTION_KINDS = frozenset({"common_word", "shared", "blocker"})


@dataclass(frozen=True)
class Actor:
    actor_id: str
    name_ar: str
    name_en: str
    actor_type: str
    parent_id: str | None


@dataclass(frozen=True)
class Alias:
    actor_id: str
    alias: str
    kind: str
    folded: tuple[str, ...]


@dataclass(frozen=True)
class Person:
    name_ar: str
    actor_id: str
    role_en: str
    folded: tuple[str, ...]


@dataclass(frozen=True)
class AliasException:
    phrase: str
    kind: str  # common_word | shared | blocker
    note: str
    folded: tuple[str, ...]


def fold_phrase(text: str) -> tuple[str, ...]:
    """Matching key of a phrase: its folded tokens."""
    return tuple(textnorm.fold_token(t) for t in textnorm.tokenize(text))


def _read_csv(name: str) -> Iterator[dict[str, str]]:
    with resources.files(_PACKAGE).joinpath(name).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            yield {key: (value or "").strip() for key, value in row.items()}


@lru_cache(maxsize=1)
def load_actors() -> dict[str, Actor]:
    """All actors by id."""
    actors: dict[str, Actor] = {}
    for row in _read_csv("actors.csv"):
        actor = Actor(
            actor_id=row["actor_id"],
            name_ar=row["name_ar"],
            name_en=row["name_en"],
            actor_type=row["actor_type"],
            parent_id=row["parent_id"] or None,
        )
        if actor.actor_id in actors:
            raise ValueError(f"duplicate actor id in actors.csv: {actor.actor_id}")
        actors[actor.actor_id] = actor
    for company_id, (name_en, country, name_ar) in _companies().items():
        if company_id not in actors:
            actors[company_id] = Actor(actor_id=company_id, name_ar=name_ar, name_en=name_en, actor_type="company",
                                       parent_id=country or None)
    return actors


def _slug(name: str) -> str:
    """Lowercase ASCII slug of an English name: "Lürssen" -> lurssen, "L3Harris" -> l3harris."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = "_".join("".join(c if c.isalnum() else " " for c in ascii_name).split())
    return slug if slug[:1].isalpha() else "company_" + slug


@lru_cache(maxsize=1)
def _company_rows() -> list[tuple[str, str, str]]:
    """(phrase, company, country) of ``defence_companies.csv``."""
    return [(row["phrase"].strip(), row["company"].strip(), (row["country"] or "").strip())
            for row in load_csv("defence_companies.csv") if row["phrase"]]


@lru_cache(maxsize=1)
def _companies() -> dict[str, tuple[str, str, str]]:
    """Defence makers of ``defence_companies.csv`` as actors: id -> (English name, home state). A maker that
    ``actors.csv`` already lists (one of its spellings is an alias there) keeps that id."""
    listed = {fold_phrase(row["alias"]): row["actor_id"] for row in _read_csv("actor_aliases.csv")}
    types = {row["actor_id"]: row["actor_type"] for row in _read_csv("actors.csv")}
    ids: dict[str, str] = {}
    for phrase, company, _country in _company_rows():
        known = listed.get(fold_phrase(phrase))
        if known is not None and types.get(known) == "company":
            ids.setdefault(company, known)
    arabic = {}
    for phrase, company, _country in _company_rows():
        if textnorm.ARABIC_LETTER.search(phrase):
            arabic.setdefault(company, phrase)
    out: dict[str, tuple[str, str, str]] = {}
    for _phrase, company, country in _company_rows():
        if company in arabic:  # every actor has an Arabic name (a maker listed only in Latin is left out)
            out.setdefault(ids.get(company) or _slug(company), (company, country, arabic[company]))
    return out


def company_aliases(taken: set[tuple[str, ...]]) -> list[Alias]:
    """Spellings of the defence makers as aliases of their company actor (a maker stands for its home state as
    a supplier: contract section 3), except spellings that already name an actor."""
    ids = {name: actor_id for actor_id, (name, _country, _ar) in _companies().items()}
    out = []
    for phrase, company, _country in _company_rows():
        key = fold_phrase(phrase)
        if key and key not in taken and company in ids:
            taken.add(key)
            out.append(Alias(actor_id=ids[company], alias=phrase, kind="name", folded=key))
    return out


@lru_cache(maxsize=1)
def load_aliases() -> list[Alias]:
    """All aliases in file order."""
    aliases = [
        Alias(actor_id=row["actor_id"], alias=row["alias"], kind=row["kind"], folded=fold_phrase(row["alias"]))
        for row in _read_csv("actor_aliases.csv")
    ]
    return aliases + company_aliases({a.folded for a in aliases})


@lru_cache(maxsize=1)
def load_persons() -> list[Person]:
    """Known persons (full names and commonly used surnames as separate rows)."""
    return [
        Person(
            name_ar=row["name_ar"], actor_id=row["actor_id"], role_en=row["role_en"], folded=fold_phrase(row["name_ar"])
        )
        for row in _read_csv("persons.csv")
    ]


@lru_cache(maxsize=1)
def load_alias_exceptions() -> list[AliasException]:
    """Ambiguous aliases (``common_word``/``shared``) and non-actor phrases (``blocker``)."""
    return [
        AliasException(phrase=row["phrase"], kind=row["kind"], note=row["note"], folded=fold_phrase(row["phrase"]))
        for row in _read_csv("alias_exceptions.csv")
    ]


@lru_cache(maxsize=1)
def un_member_codes() -> tuple[str, ...]:
    """ISO alpha-3 codes of the 193 UN member states."""
    return tuple(row["alpha3"] for row in _read_csv("un_members.csv"))


@lru_cache(maxsize=1)
def alias_index() -> dict[tuple[str, ...], list[Alias]]:
    """Aliases keyed by folded token tuple (several actors may share a key; see :func:`ambiguous_aliases`)."""
    index: dict[tuple[str, ...], list[Alias]] = {}
    for alias in load_aliases():
        index.setdefault(alias.folded, []).append(alias)
    return index


@lru_cache(maxsize=1)
def person_index() -> dict[tuple[str, ...], list[Person]]:
    """Persons keyed by folded token tuple."""
    index: dict[tuple[str, ...], list[Person]] = {}
    for person in load_persons():
        index.setdefault(person.folded, []).append(person)
    return index


@lru_cache(maxsize=1)
def ambiguous_aliases() -> dict[tuple[str, ...], str]:
    """Folded aliases that need context before they count as an actor mention -> ``common_word`` or ``shared``."""
    return {exc.folded: exc.kind for exc in load_alias_exceptions() if exc.kind != "blocker"}


@lru_cache(maxsize=1)
def blocking_phrases() -> frozenset[tuple[str, ...]]:
    """Folded phrases that contain an alias but are not actor mentions; a matcher should consume them first."""
    return frozenset(exc.folded for exc in load_alias_exceptions() if exc.kind == "blocker")


def max_alias_tokens() -> int:
    """Length in tokens of the longest alias, person name or blocking phrase (bounds a longest-match scan)."""
    keys = list(alias_index()) + list(person_index()) + list(blocking_phrases())
    return max(len(key) for key in keys)


def actor(actor_id: str) -> Actor | None:
    """The actor with this id, or None."""
    return load_actors().get(actor_id)


def state_of(actor_id: str) -> str | None:
    """The state an actor belongs to: itself for a state, else the nearest state up the parent chain."""
    actors = load_actors()
    seen: set[str] = set()
    current = actors.get(actor_id)
    while current is not None and current.actor_id not in seen:
        if current.actor_type == "state":
            return current.actor_id
        seen.add(current.actor_id)
        current = actors.get(current.parent_id) if current.parent_id else None
    return None
