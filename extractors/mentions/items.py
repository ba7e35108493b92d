"""Materiel mentions: category (contract section 4), the words as written, a named model, and the
quantity and owner adjective attached to them (مئات الطائرات المسيرة الإيرانية -> 200/999, IRN)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Final

from extractors.mentions.actors import ActorMention
from extractors.mentions.quantities import Quantity, unit_forms
from extractors.text.lexicon import load_csv
from extractors.text.matcher import PhraseMatcher
from extractors.text.textnorm import fold_token
from extractors.text.tokens import Token
from extractors.values import Value


def _folded_set(*words: str) -> frozenset[str]:
    return frozenset(fold_token(w) for w in words)


_AIRCRAFT_BARE: Final = _folded_set("طائرة", "طائرات", "طائرتين")
_DRONE_WORDS: Final = _folded_set("مسيرة", "مسيرات", "المسيرة", "المسيرات", "طيار", "مسيرتين")
_NOT_MILITARY_AIR: Final = _folded_set("نقل", "ركاب", "مدنية", "شحن", "الركاب", "المدنية")
_TRAINER: Final = _folded_set("تدريب", "التدريب")
_HELI: Final = _folded_set("هليكوبتر", "مروحية")
_AGAINST: Final = _folded_set("ضد", "لمواجهة", "لصد", "لمكافحة", "لاعتراض", "لإسقاط", "مضادة", "المضادة", "مضاد", "المضاد",
                       "مضادا")
_MODEL_AFTER: Final = _folded_set("طراز", "نوع", "الطراز", "طرازي", "طرازات")
_SHIP_BARE: Final = _folded_set("سفينة", "سفن", "سفينتين", "زورق", "زوارق", "قوارب", "زورقا", "سفينتان")
# a bare ship or boat word is a naval vessel only with a word saying it is a military one
_NAVAL_CUES: Final = _folded_set("حربية", "الحربية", "حربيتين", "عسكرية", "العسكرية", "عسكريتين", "دورية", "الدورية", "قتالية",
                          "القتالية", "هجومية", "الهجومية", "إنزال", "الإنزال", "البحرية", "بحرية", "مسلحة", "المسلحة")
_PIECES: Final = _folded_set("وحدة", "وحدات", "قطعة", "قطع", "نسخة", "نسخ")
_CONTAINER_WORDS: Final = _folded_set("حاوية", "حاويات", "الحاويات", "حاويتين")
_BALLISTIC: Final = _folded_set("الباليستية", "باليستية", "البالستية", "بالستية", "الباليستي", "باليستي")
_VERSION_WORDS: Final = _folded_set("الجيل", "جيل", "النسخة", "نسخة", "المعيار", "معيار", "الإصدار", "إصدار", "المطور",
                             "المطورة", "المحدث", "المحدثة", "الطراز", "بنسخة", "بمعيار")
_AIRCRAFT_CATEGORIES: Final = frozenset({"combat_aircraft", "trainer_aircraft", "helicopters", "drones"})
_CONSTRUCT_HEADS: Final = _folded_set("مكونات", "قطع", "أجزاء")
_GENERIC_CATEGORIES: Final = frozenset({"missiles", "weapons", "military_equipment", "combat_aircraft"})
_CURRENCIES: Final = frozenset({"usd", "eur", "gbp", "rub", "cny", "sar", "aed", "try", "irr", "jpy", "inr"})
_CONTAINERS: Final = frozenset({"container", "shipment", "batch", "ton"})
_TONS: Final = unit_forms("ton")


class ItemMention(Value):
    """Materiel named in a sentence."""

    def __init__(self, start: int, end: int, category: str, text: str, model: str | None = None,
                 quantity: Quantity | None = None, owner_id: str | None = None, cue_status: str | None = None,
                 modifier: bool = False) -> None:
        self.start = start  # token index
        self.end = end
        self.category = category
        self.text = text
        self.model = model
        self.quantity = quantity
        self.owner_id = owner_id  # demonym adjective right after the item (مسيرات إيرانية)
        self.cue_status = cue_status  # status cue attached to the item itself (المحتملة)
        self.modifier = modifier  # "ذخيرة للمدفعية والدبابات": the tanks are what the ammunition is for

    def _fields(self) -> tuple:
        return (self.start, self.end, self.category, self.text, self.model, self.quantity, self.owner_id, self.cue_status, self.modifier)


@lru_cache(maxsize=1)
def _items() -> PhraseMatcher:
    return PhraseMatcher([(r["phrase"], r["category"]) for r in load_csv("items.csv")])


MODEL_FILES: Final = ("item_models.csv", "weapon_systems.csv")  # named models; the gazetteer beside the hand-kept list


def _model_rows() -> list[dict[str, str]]:
    return [r for name in MODEL_FILES for r in load_csv(name)]


@lru_cache(maxsize=1)
def _models() -> PhraseMatcher:
    return PhraseMatcher([(r["phrase"], (r["category"], r["model"])) for r in _model_rows()])


def item_words_matcher() -> PhraseMatcher:
    return _items()


@lru_cache(maxsize=1)
def model_countries() -> dict[str, str]:
    """Canonical model name -> ISO code of the state that makes it (a default supplier for passives)."""
    return {r["model"]: r["country"] for r in _model_rows() if r.get("country")}


@lru_cache(maxsize=1)
def _item_cues() -> dict[str, str]:
    return {fold_token(r["form"]): r["status"] for r in load_csv("status_cues.csv") if r["scope"] == "item"}


def _refine_aircraft(toks: list[Token], end: int) -> str | None:
    """Category of a bare طائرات from the next few words; None when not military."""
    ahead = [t for t in toks[end:end + 8] if not t.is_punct or t.text in ("،", ",")][:5]
    for tok in ahead:
        f = tok.folded
        stems = {s for s, _ in tok.variants}
        if stems & _DRONE_WORDS or f in _DRONE_WORDS:
            return "drones"
        if stems & _TRAINER:
            return "trainer_aircraft"
        if stems & _HELI:
            return "helicopters"
        if stems & _NOT_MILITARY_AIR:
            return None
    return "combat_aircraft"


def _is_naval(toks: list[Token], end: int) -> bool:
    """'سفينة "الدوحة" الحربية', 'زوارق دورية': a ship word followed within a few words by a military adjective."""
    for tok in toks[end:end + 5]:
        if tok.folded in _NAVAL_CUES or any(s in _NAVAL_CUES for s, _ in tok.variants):
            return True
        if tok.text in ("،", ",", ".", ":"):
            return False
    return False


def _after_model_word(toks: list[Token], i: int) -> bool:
    """Token i follows "طراز" / "من طراز" (quotes between allowed)."""
    k = i - 1
    while k >= 0 and toks[k].text in ("(", "«", "\"", "“"):
        k -= 1
    return k >= 0 and toks[k].folded in _MODEL_AFTER


def _span_text(toks: list[Token], a: int, b: int, sentence: str, base: int) -> str:
    return sentence[toks[a].start - base:toks[b - 1].end - base]


def find_items(toks: list[Token], sentence: str, base: int, actors: list[ActorMention],
               quantities_of: Callable[[], list[Quantity]]) -> list[ItemMention]:
    """Items in a sentence; ``base`` is the character offset of ``sentence`` in the token offsets.
    ``quantities_of`` gives the sentence's quantities; it is called only when an item or a tonnage
    (see ``_bulk_materials``) can use them."""
    out: list[ItemMention] = []
    models = {m.start: m for m in _models().find(toks)}
    actor_at = {m.start: m for m in actors}
    cues = _item_cues()
    item_at = {m.start: m for m in _items().find(toks)}
    starts = sorted(set(item_at) | set(models))
    n = len(toks)
    i = 0
    for pos in starts:
        if pos < i:
            continue
        i = pos
        m = item_at.get(i)
        mm = models.get(i)
        if m is not None and m.value == "-":
            i = m.end
            continue
        if m is not None and toks[i].folded in _CONSTRUCT_HEADS and m.end - m.start <= 2 and (
                m.end in item_at or m.end in models):
            continue  # "مكونات صواريخ كروز": components of the item that follows
        if i > 0 and (toks[i - 1].folded in _AGAINST or i > 1 and toks[i - 2].folded in _AGAINST):
            here = m or mm
            assert here is not None
            i = here.end  # "ضد الطائرات المسيرة": what the materiel is against, not what moves
            continue
        if m is None and i > 0 and any(t.folded in _VERSION_WORDS for t in toks[max(0, i - 3):i]) and out:
            assert mm is not None
            i = mm.end  # "رافال من الجيل المطور إف 4": a version of the item before, not another system
            continue
        if m is None and out and _after_model_word(toks, i) and out[-1].end >= i - 6:
            assert mm is not None
            prev_item = out[-1]  # "48 طائرة مقاتلة خفيفة من طراز "إف إيه-50"": the model of the item before
            prev_item.model = prev_item.model or mm.value[1]
            i = mm.end
            while i < n and toks[i].text in ")»\"”":
                i += 1
            prev_item.end = i
            prev_item.text = _span_text(toks, prev_item.start, prev_item.end, sentence, base)
            continue
        bare_aircraft = False
        if m is None:
            assert mm is not None
            category, model = mm.value
            item = ItemMention(i, mm.end, category, "", model)
            end = mm.end
        else:
            category = m.value
            end = m.end
            bare_aircraft = m.end - m.start == 1 and any(s in _AIRCRAFT_BARE for s, _ in toks[i].variants)
            if toks[i].variants and any(s in _AIRCRAFT_BARE for s, _ in toks[i].variants) and m.end - m.start == 1:
                refined = _refine_aircraft(toks, m.end)
                if refined is None:
                    i = m.end
                    continue
                category = refined
            if category == "naval_vessels" and m.end - m.start == 1 and any(s in _SHIP_BARE for s, _ in toks[i].variants) \
                    and not _is_naval(toks, m.end):
                i = m.end
                continue  # a cargo ship or a fishing boat carries things; it is not what moves
            item = ItemMention(i, end, category, "")
        # extend over adjectives: demonym owner, "هجومية", "متطورة", model after طراز, parentheses
        j = end
        while j < n and j - end < 6:
            tok = toks[j]
            a = actor_at.get(j)
            if a is not None and (a.is_adjective or a.kind.startswith("weak_demonym")) and not a.prefix:
                item.owner_id = item.owner_id or a.actor_id
                j = a.end
                continue
            if tok.folded in cues:
                item.cue_status = cues[tok.folded]
                j += 1
                continue
            if tok.folded in _BALLISTIC and item.category == "missiles":
                item.category = "ballistic_missiles"  # "صواريخ "لورا" الباليستية"
                j += 1
                continue
            if (tok.folded in _AGAINST and j + 1 < n and item.category in ("weapons", "missiles")
                    and any(s in _AIRCRAFT_BARE for s, _ in toks[j + 1].variants)):
                item.category = "air_defense"  # "السلاح الألماني المضاد للطائرات"
                j += 2
                continue
            if tok.folded in _MODEL_AFTER or tok.folded == "من" and j + 1 < n and toks[j + 1].folded in _MODEL_AFTER:
                k = j + (2 if tok.folded == "من" else 1)
                while k < n and toks[k].text in "()«»\"“”":
                    k += 1
                mm2 = models.get(k)
                quoted = k > 0 and toks[k - 1].text in ("\"", "«", "“", "(")
                if mm2 is not None:
                    item.model = mm2.value[1]
                    j = mm2.end
                elif quoted:
                    close = next((x for x in range(k, min(n, k + 6)) if toks[x].text in ("\"", "»", "”", ")")), None)
                    end_m = close if close is not None else k + 1
                    item.model = sentence[toks[k].start - base:toks[end_m - 1].end - base]
                    j = end_m
                elif k < n and not toks[k].is_punct:
                    item.model = toks[k].text
                    j = k + 1
                else:
                    j = k
                while j < n and toks[j].text in ")»\"”":
                    j += 1
                continue
            if tok.text in ("\"", "«", "“") and j + 1 < n:
                k = j + 1
                close = k
                while close < n and close - k < 4 and toks[close].text not in ("\"", "»", "”"):
                    close += 1
                if close < n and toks[close].text in ("\"", "»", "”") and close > k:
                    mm3 = models.get(k)
                    item.model = item.model or (mm3.value[1] if mm3 else sentence[toks[k].start - base:toks[close - 1].end - base])
                    j = close + 1
                    continue
                break
            same = item_at.get(j)
            if same is not None and same.value == item.category and j == max(end, j) and item.category == "drones":
                j = same.end  # "الطائرات الإيرانية المسيرة": the drone word after the owner is the same item
                continue
            if j in models and item.model is None:
                item.model = models[j].value[1]
                j = models[j].end
                continue
            if (tok.folded.startswith("ال") and not tok.is_punct and j not in item_at
                    and tok.folded.endswith(("يه", "ه", "ي")) and len(tok.folded) > 4 and a is None):
                j += 1  # a definite adjective (الهجومية، الانتحارية)
                continue
            if (not tok.folded.startswith(("ال", "و", "ب", "ل", "ف")) and tok.folded.endswith(("يه", "يات"))
                    and len(tok.folded) > 4 and j not in item_at and a is None):
                j += 1  # an indefinite adjective (هجومية، متطورة ...)
                continue
            break
        item.end = max(item.end, j)
        if item.model:
            known = next((mm4.value[0] for mm4 in models.values() if mm4.value[1] == item.model), None)
            generic = item.category in _GENERIC_CATEGORIES and not (
                item.category == "combat_aircraft" and not bare_aircraft)  # "طائرة مقاتلة خفيفة من طراز": the text says
            if known and generic and known != item.category:
                item.category = known  # "صاروخ من طراز فتح-360": the model says ballistic
        # owner expressed as "X-made": الإيرانية الصنع
        if item.end < n and toks[item.end].folded in ("الصنع", "صنع"):
            item.end += 1
        item.text = _span_text(toks, item.start, item.end, sentence, base)
        if (item.end - item.start == 1 and toks[item.start].folded in _CONTAINER_WORDS and item.end + 1 < n
                and toks[item.end].folded == "من" and (item.end + 1 in item_at or item.end + 1 in models)):
            i = item.end
            continue  # "عشرة آلاف حاوية من الذخائر": the containers hold the item that follows (see _attach_counted)
        if out and _is_modifier(toks, out[-1], item):
            item.modifier = True
        out.append(item)
        i = item.end
    typed = None
    for item in out:  # "12 طائرة من طراز إل-15 مع خيار لإضافة 36 طائرة": a later bare طائرة is the same type
        if item.category in _AIRCRAFT_CATEGORIES and item.model:
            typed = item
        elif (typed is not None and item.model is None and item.end - item.start == 1
              and any(s in _AIRCRAFT_BARE for s, _ in toks[item.start].variants) and item.category == "combat_aircraft"):
            item.category, item.model = typed.category, typed.model
    if not out and all(_TONS.isdisjoint(t.keyset) for t in toks):
        return out
    quantities = quantities_of()
    for item in out:  # quantity right before the item (or the item inside "أكثر من 400 طائرة")
        start_char = toks[item.start].start - base
        for q in quantities:
            if q.start <= start_char <= q.end + 3 and q.unit not in _CURRENCIES:
                item.quantity = q
    _attach_counted(out, toks, base, quantities)
    out.extend(_bulk_materials(toks, sentence, base, quantities, out))
    return out


def _bulk_materials(toks: list[Token], sentence: str, base: int, quantities: list[Quantity],
                    items: list[ItemMention]) -> list[ItemMention]:
    """'أكثر من 1300 طن من النيتروسليلوز': tonnage of an unlisted substance is raw material."""
    out = []
    for q in quantities:
        if q.unit != "ton":
            continue
        k = next((i for i, t in enumerate(toks) if t.start - base >= q.end), None)
        if k is None or any(k <= it.start <= k + 3 for it in items):
            continue
        if toks[k].folded == "من" and k + 1 < len(toks) and not toks[k + 1].is_punct:
            start = next(i for i, t in enumerate(toks) if t.start - base >= q.start)
            out.append(ItemMention(start, k + 2, "raw_materials", _span_text(toks, start, k + 2, sentence, base),
                                   quantity=q))
    return out


def _has_lam(tok: Token) -> bool:
    return any(p.lstrip("و")[:1] == "ل" for _, p in tok.variants[1:])


def _is_modifier(toks: list[Token], prev: ItemMention, item: ItemMention) -> bool:
    """'ذخيرة للمدفعية والدبابات': an item inside a لـ phrase right after another item says what that item is for."""
    between = toks[prev.end:item.start]
    if prev.modifier and not between and toks[item.start].folded.startswith("و"):
        return True
    if len(between) > 2 or not all(_has_lam(t) for t in between):
        return False
    first = toks[item.start]
    return bool(between) or _has_lam(first)


def _attach_counted(items: list[ItemMention], toks: list[Token], base: int, quantities: list[Quantity]) -> None:
    """Quantities that are not right before their item: the count of containers goes to what they carry
    ('أكثر من ألف حاوية من المعدات العسكرية والذخائر'); a sum of money to the items it pays for."""
    money = [q for q in quantities if q.unit in _CURRENCIES]
    for item in items:
        if item.quantity is not None:
            continue
        start = toks[item.start].start - base
        for q in quantities:
            if q.unit in _CONTAINERS and q.end <= start and start - q.end <= 40:
                item.quantity = q
            elif q.noun and fold_token(q.noun) in _PIECES and q.end <= start and start - q.end <= 5:
                item.quantity = q  # "18 وحدة من طائرات": a count of pieces of the item after it
        if item.quantity is None and money:
            item.quantity = money[0]
