"""Transfers (contract section 4): who moves which materiel to whom, and how far it got.

Hand-written frame rules, because direction in Arabic news is carried by a handful of verb frames that a
generic parser would not give us offline:
- supply:  X زود Y بـ ITEM           (two bare actors after the verb: X then Y; one: Y, X before the verb)
- send:    X أرسل ITEM إلى/لـ Y      (supplier = من X / the agent; recipient = إلى Y)
- receive: Y تلقى ITEM من X          (recipient = the agent; supplier = من X or the item's demonym: مسيرات إيرانية)
- offer:   X عرض على Y ITEM
- coop:    X تعاون مع Y في مجال ITEM
- intercept: a shipment from X to Y seized on the way
- include: "... قد يشمل ITEM" continues the previous frame with its own status.
Status comes from the trigger's tense, then from cues before it (قد، تدرس، تسعى، ستـ، تعتزم، تواصل، نفت).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Final

from extractors.facts.context import SentenceView
from extractors.mentions.actors import ActorMention, actor_parent, actor_type
from extractors.mentions.items import ItemMention, model_countries
from extractors.schemas import TransferRow, row_id
from extractors.text.lexicon import load_csv, load_yaml
from extractors.text.matcher import PhraseMatcher
from extractors.text.textnorm import fold_token
from extractors.values import FrozenValue, Value

_IMPERFECT: Final = ("ي", "ت", "ن")
CONFIDENCE: Final = {"supply": 0.85, "send": 0.8, "receive": 0.75, "offer": 0.8, "coop": 0.6, "intercept": 0.7,
              "include": 0.6, "exchange": 0.6}


class Trigger(FrozenValue):
    """A transfer verb or verbal noun in a sentence, with its frame and status."""

    def __init__(self, start: int, end: int, lemma: str, frame: str, status: str, noun: bool, pronoun_object: bool) -> None:
        self.start = start
        self.end = end
        self.lemma = lemma
        self.frame = frame
        self.status = status
        self.noun = noun  # a verbal noun (إرسال، تزويد): its agent may follow it directly
        self.pronoun_object = pronoun_object  # تستخدمها / اشترتها: the object is an item mentioned before

    def _fields(self) -> tuple:
        return (self.start, self.end, self.lemma, self.frame, self.status, self.noun, self.pronoun_object)

@dataclass(frozen=True)
class _Lex:
    triggers: PhraseMatcher
    cues: PhraseMatcher
    source: frozenset[str]
    dest: frozenset[str]
    offer_dest: frozenset[str]
    partner: frozenset[str]
    blocking: frozenset[str]
    production: PhraseMatcher
    exchange: frozenset[str]
    accusation: frozenset[str]


_ORGAN_HEAD_SKIP: Final = frozenset({"الدفاع", "الخارجيه", "المسلحه", "الجويه", "البريه", "البحريه"})


def _is_imperfect(word: str) -> bool:
    """Present-tense verb (يزود، تسعى) rather than a past one (تسلمت، تزودت): no feminine past ending."""
    return word.startswith(_IMPERFECT) and not word.endswith(("ت", "وا")) and len(word) > 2


_PRONOUN_CLAUSE: Final = frozenset({"انها", "انه", "بانها", "بانه", "لانها", "لانه"})


def _is_noun_form(form: str) -> bool:
    f = fold_token(form.split()[-1])
    nouns = {"تزويد", "التزويد", "امداد", "امدادات", "تسليح", "ارسال", "بارسال", "تسليم", "التسليم", "بيع", "مبيعات",
             "شحن", "نقل", "تصدير", "صادرات", "تقديم", "توفير", "تدفق", "تلقي", "استلام", "شراء", "لشراء", "الحصول",
             "للحصول", "استيراد", "واردات", "اقتناء", "حيازه", "مصادره", "شحنه", "تعاون", "تعاونا", "شراكه", "مساعدات"}
    return f in nouns


@lru_cache(maxsize=1)
def _lex() -> _Lex:
    entries = []
    for r in load_csv("transfer_triggers.csv"):
        form = r["form"]
        value = (r["lemma"], r["frame"], r["status"], _is_noun_form(form))
        entries.append((form, value))
        folded = fold_token(form)
        if " " not in form and folded.startswith(_IMPERFECT) and r["frame"] not in ("include", "coop"):
            entries.append(("س" + form, (r["lemma"], r["frame"], "planned", False)))
        if " " not in form and folded.startswith(_IMPERFECT) and r["frame"] not in ("include", "coop"):
            for ending in ("ان", "ون"):  # dual and plural: "ستنقلان"، "يزودون"
                entries.append((form + ending, (r["lemma"], r["frame"], r["status"], False)))
                entries.append(("س" + form + ending, (r["lemma"], r["frame"], "planned", False)))
        if " " not in form and r["frame"] in ("receive", "supply", "send") and not folded.endswith(("ها", "ه", "هم")):
            for suffix in ("ها", "هم"):
                entries.append((form + suffix, (r["lemma"], r["frame"], r["status"], False)))
    cues = [(r["form"], r["status"]) for r in load_csv("status_cues.csv") if r["scope"] == "before"]
    ctx = load_yaml("transfer_context.yaml")

    def words(key: str) -> frozenset[str]:
        return frozenset(fold_token(w) for w in ctx[key] if " " not in w)

    return _Lex(
        triggers=PhraseMatcher(entries),
        cues=PhraseMatcher(cues),
        source=words("source_preps"),
        dest=words("dest_preps"),
        offer_dest=words("offer_dest_preps"),
        partner=words("coop_partner_preps"),
        blocking=words("blocking_preps"),
        production=PhraseMatcher([(w, True) for w in ctx["production_words"]]),
        exchange=words("exchange_words"),
        accusation=frozenset(fold_token(w) for w in ctx["accusation_verbs"]),
    )


_ONE_CRAFT: Final = frozenset(fold_token(w) for w in ("طائرة", "الطائرة", "سفينة", "السفينة", "مروحية", "المروحية"))
_CRAFT_WORDS: Final = frozenset(fold_token(w) for w in ("طائرة", "طائرات", "طائرتين", "سفينة", "سفن", "مروحية", "مروحيات",
                                                 "شاحنة", "شاحنات", "سفينتين", "طائرتا", "سفينتا"))
_SAME_MODEL: Final = frozenset({"نفسه", "ذاته", "نفسها", "ذاتها"})  # "من الطراز نفسه" read as a model name by items
_POLICY_NOUNS: Final = frozenset(fold_token(w) for w in (
    "قيود", "القيود", "حظر", "الحظر", "ضوابط", "قواعد", "سياسة", "قانون", "تراخيص", "رخص", "إرشادات", "لوائح",
    "معايير", "شروط", "تقييد", "منع"))
# using or holding materiel says who has it; who supplied it comes only from its origin ("أمريكية الصنع")
_HOLDING: Final = frozenset({"استخدم", "امتلك"})
_PACKAGE_NOUNS: Final = frozenset(fold_token(w) for w in ("حزمة", "صفقة", "شحنة", "دفعة", "شحنات", "حزم", "صفقات"))


def find_triggers(view: SentenceView) -> list[Trigger]:
    out: list[Trigger] = []
    for m in _lex().triggers.find(view.toks):
        lemma, frame, status, noun = m.value
        last = view.toks[m.end - 1].folded
        pron = frame == "receive" and last.endswith(("ها", "هم")) and last not in ("حيازه",)
        if frame == "send" and not pron and last.endswith("ها") and not noun and any(
                _role(view, a) == "dest" for a in view.party_actors if m.end <= a.start < m.end + 6):
            pron = True  # "صدّرتها بايكار إلى أذربيجان": with a destination named, the pronoun is what was sent
        if frame == "include" and out and out[-1].end == m.start and any(
                s in _PACKAGE_NOUNS for s, _ in view.toks[out[-1].start].variants):
            out.pop()  # "الحزمة ستضم ...": the package is the subject of the itemising verb, not a transfer of its own
        if frame == "include" and out and lemma != "خيار" and not _lex().cues.find(view.toks, max(0, m.start - 2), m.start):
            continue  # "ضبطت شحنة تضم صواريخ": the items belong to the verb before; only "قد يشمل" changes status
        if out and out[-1].end + 3 >= m.start and any(
                s in _PACKAGE_NOUNS for s, _ in view.toks[m.start].variants):
            continue  # "ستسلم أوكرانيا حزمة أسلحة": the package is the object of the verb before it
        if lemma == "وصل" and m.end - m.start == 1 and m.end < len(view.toks) and (
                view.toks[m.end].folded in ("الي", "حتي") or m.start > 0 and view.toks[m.start - 1].folded == "ما"):
            continue  # "ما يصل إلى 1000 دبابة"، "تصل قيمتها إلى": a bound or a measure, nothing arrives
        if lemma == "اعترض" and m.end - m.start == 1 and not any(
                s in _PACKAGE_NOUNS or s in _CRAFT_WORDS for k in range(m.end, min(len(view.toks), m.end + 5))
                for s, _ in view.toks[k].variants):
            continue  # "اعترضت البحرية شحنة ..." seizes; "اعترضت على القرار" objects, "اعترضت الصواريخ" shoots down
        if lemma == "نقل" and any(view.toks[k].folded == "عن" for k in range(m.end, min(len(view.toks), m.end + 4))) \
                and not any(m.end <= it.start < m.end + 4 for it in view.items):
            continue  # "نقلت وكالة رويترز عن مسؤول": reporting what someone said, nothing moves
        if lemma == "دفع" and not any(view.toks[k].folded in ("مقابل", "ثمن", "لقاء") or any(
                s in ("مقابل", "ثمن") for s, _ in view.toks[k].variants) for k in range(m.end, min(len(view.toks), m.end + 8))):
            continue  # paying is buying only when it is paid for something ("دفعت ... مقابل الطائرات")
        if out and any(p.startswith("و") for _, p in view.toks[m.start].variants[1:]) and any(
                s in _PACKAGE_NOUNS for s, _ in view.toks[m.start].variants) and m.start - out[-1].end <= 12:
            continue  # "مقابل الطائرات وحزمة من الذخائر": a package joined to the objects of the verb before
        if frame == "coop" and out:
            continue  # "عرضت على طهران تعاونا يشمل ...": cooperation words restate the trigger before them
        if any(s == "صفقه" for s, _ in view.toks[m.start].variants) and not any(
                it.start in (m.end, m.end + 1) for it in view.items):
            continue  # "صفقة مسيرات" names what is sold; "الصفقة" alone is just the deal
        if noun and m.start > 0 and any(view.toks[k].folded in _POLICY_NOUNS or any(
                s in _POLICY_NOUNS for s, _ in view.toks[k].variants[1:]) for k in range(max(0, m.start - 2), m.start)):
            continue  # "قيود تصدير الأسلحة"، "حظر على بيع": a rule about transfers, not one
        if noun and m.start > 0 and (any(it.end == m.start for it in view.items) or any(
                s in _CRAFT_WORDS for s, _ in view.toks[m.start - 1].variants)):
            continue  # "مروحيات نقل", "طائرات شحن": the noun describes the item, nothing moves
        if (lemma == "استخدم" and view.toks[m.start].folded.startswith("ل") and out):
            continue  # "... إلى موسكو لاستخدامها في ...": the purpose of the transfer just read
        out.append(Trigger(m.start, m.end, lemma, frame, status, noun and not pron, pron))
    return out


_PLACE_NOUNS: Final = frozenset({"العاصمه", "عاصمه", "مدينه", "المدينه", "ميناء", "مطار", "قاعده", "جزيره", "اقليم", "منطقه",
                          "شركه", "الشركه", "شركات", "مجموعه", "مؤسسه"})  # and company heads: "مع شركة هانوا"


def _preceding_word(view: SentenceView, a: ActorMention) -> str:
    k = a.start - 1
    while k >= 0 and view.toks[k].text in ("(", "«", "\"", "“"):
        k -= 1
    if k >= 1 and view.toks[k].folded in _PLACE_NOUNS:
        k -= 1  # "إلى العاصمة باماكو"
    if k >= 2 and view.toks[k].folded == "من" and view.toks[k - 1].folded in ("كل", "لكل", "ولكل"):
        k -= 2  # "إلى كل من أذربيجان وباكستان": the preposition before كل من governs the list
        if view.toks[k + 1].folded.startswith("ل"):
            return "ل"
    return view.toks[k].folded if k >= 0 else ""


def _role(view: SentenceView, a: ActorMention) -> str:
    """How an actor mention is attached: source | dest | offer_dest | partner | blocked | bare."""
    lx = _lex()
    if a.governed_by == "ل":
        return "dest"
    if a.governed_by in ("ب", "ك"):
        return "blocked"
    if a.organ and a.start > 0 and any(it.end == a.start for it in view.items):
        return "blocked"  # "منظومة الدفاع الجوي الإسرائيلية": the maker of the item, not the air force acting
    prev = _preceding_word(view, a)
    if a.organ and a.start >= 1 and any(p.lstrip("و").startswith("ل") and not p.lstrip("و").startswith("ال")
                                        for h in range(max(0, a.start - 2), a.start) for _, p in view.toks[h].variants[1:]):
        return "dest"  # "لسلاح الجو الإسرائيلي"، "للجيش الأوكراني": the organ noun carries the لـ
    if a.organ and a.start >= 2:
        prev = view.toks[a.start - 2].folded  # "إلى الجانب الأوكراني": the preposition governs the organ noun
        if a.start >= 3 and view.toks[a.start - 2].folded in _ORGAN_HEAD_SKIP:
            prev = view.toks[a.start - 3].folded
    if prev == "ل":
        return "dest"
    if prev in lx.source:
        return "source"
    if prev in lx.dest:
        return "dest"
    if prev in lx.offer_dest:
        return "offer_dest"
    if prev in lx.partner:
        return "partner"
    if a.start >= 2 and view.toks[a.start - 2].folded == "في" and not view.toks[a.start - 1].is_punct \
            and not any(x.end == a.start for x in view.actors):
        return "blocked"  # "في تاريخ تركيا": inside a place/time phrase
    if prev in lx.blocking or prev in ("قبل",) and view.toks[a.start - 2].folded == "من":
        return "blocked" if prev != "قبل" else "source"
    if a.prefix.startswith("و") and any(view.toks[k].folded == "بين" for k in range(max(0, a.start - 5), a.start)):
        return "blocked"  # "بين كوريا الشمالية وروسيا": both sides of a relation, neither a party to a transfer
    return "bare"


_OPEN_QUOTES: Final = frozenset({"\"", "«", "“"})
_CLOSE_QUOTES: Final = frozenset({"\"", "»", "”"})


def _place_dest(view: SentenceView, lo: int, hi: int) -> str | None:
    """'إلى ميناء بندر عباس الإيراني': a destination place named by its country's adjective."""
    dest = _lex().dest
    for k in range(lo, min(hi, len(view.toks) - 1)):
        if view.toks[k].folded in dest and view.toks[k + 1].folded.removeprefix("ال") in {
                p.removeprefix("ال") for p in _PLACE_NOUNS}:
            a = next((a for a in view.owner_actors if k + 2 <= a.start <= k + 5 and a.kind.startswith("demonym")), None)
            return a.actor_id if a is not None and actor_type(a.actor_id) == "state" else None
    return None


def _as_party(a: ActorMention) -> str | None:
    """An actor id that can supply: a company stands for its state (contract section 3), one with no known
    state for nobody."""
    if actor_type(a.actor_id) == "company":
        return actor_parent(a.actor_id)
    return a.actor_id


def _clause_start(view: SentenceView, i: int) -> int:
    k = i - 1
    while k >= 0:
        if view.toks[k].text in _CLOSE_QUOTES:
            # a short quoted name ('شركة “هانوا”', 'مسيرات "شاهد"') is part of the clause, not a quotation
            opening = next((j for j in range(k - 1, max(-1, k - 5), -1) if view.toks[j].text in _OPEN_QUOTES), None)
            if opening is not None and opening < k - 1 and not any(view.toks[j].is_punct for j in range(opening + 1, k)
                                                                   if view.toks[j].text not in ("-",)):
                k = opening - 1
                continue
        if view.is_boundary(k):
            return k + 1
        k -= 1
    return 0


def _agent_before(view: SentenceView, t: Trigger, lo: int) -> ActorMention | None:
    """Nearest actor before the trigger that is a bare (unprepositioned, non-adjective) noun phrase;
    failing that, a known person there (كيربي -> USA)."""
    best = None
    for a in view.party_actors:
        if lo <= a.start and a.end <= t.start and not a.is_adjective and _role(view, a) == "bare":
            best = a
    return best


def _person_before(view: SentenceView, t: Trigger, lo: int) -> ActorMention | None:
    """A known person before the trigger stands for their state when no state or body is named (كيربي -> USA)."""
    best = None
    for a in view.actors:
        if a.kind == "person" and lo <= a.start and a.end <= t.start and _role(view, a) == "bare":
            best = a
    return best


def _accused(view: SentenceView, t: Trigger, lo: int) -> ActorMention | None:
    """'اتهم X Y بتزويد ...' -> Y; 'Y، التي اتهمتها X بتزويد' -> Y."""
    lx = _lex()
    for k in range(t.start - 1, max(-1, t.start - 12), -1):
        f = view.toks[k].folded
        stems = {s for s, _ in view.toks[k].variants}
        if f in lx.accusation or stems & lx.accusation:
            bare_after = [a for a in view.party_actors if k < a.start < t.start and not a.is_adjective]
            if f.endswith(("ها", "ه")) and not f.endswith("اتهم"):
                before = [a for a in view.party_actors if a.end <= k and not a.is_adjective]
                return before[-1] if before else None
            if len(bare_after) >= 2:
                return bare_after[1]
            return None
    return None


def _status(view: SentenceView, t: Trigger, lo: int) -> str | None:
    """Trigger status, overridden by the nearest cue in the 5 tokens before it (same clause)."""
    status = t.status
    best_pos = -1
    quote_lo = _quote_lo(view, t.start)
    cues_since_quote = _lex().cues.find(view.toks, quote_lo, t.start)
    # the window (which needs the sentence's dates) only matters when some cue precedes the trigger
    lo = max(quote_lo, _window_start(view, t.start, 8)) if cues_since_quote else t.start
    for m in _lex().cues.find(view.toks, lo, t.start) if cues_since_quote else ():
        nxt = view.toks[m.end].folded if m.end < len(view.toks) else ""
        if m.value == "considered" and view.toks[m.start].folded == "قد" and not _is_imperfect(nxt):
            continue  # "كانت قد اشترتها": قد + past is emphatic, not modal
        if m.value == "sought" and t.frame not in ("receive", "supply"):
            continue  # "تسعى إلى تعزيز جيشها ... مقابل إرسال أسلحة": seeking is said of what one receives
        if m.start > best_pos:
            best_pos, status = m.start, m.value
            if m.value == "-" and view.toks[m.start].folded == "لم" and m.end == t.start and t.frame in ("supply", "send"):
                status = "denied"  # "لم نزود روسيا بصواريخ": a supplier saying it did not supply denies it
            elif m.value == "planned" and t.frame == "receive" and view.toks[m.start].folded in _INTENT:
                status = "sought"  # "الإمارات تنوي شراء ...": the recipient's own intent is seeking
    if status == "-":
        return None
    if t.noun and status == "delivered" and any(
            view.toks[k].folded in _DELAY or any(s in _DELAY for s, _ in view.toks[k].variants[1:])
            for k in range(max(0, t.start - 2), min(len(view.toks), t.end + 2))):
        status = "planned"  # "تأخر التسليم"، "علقت شحنة": a held delivery keeps the status it had (contract section 4)
    if best_pos < 0 and t.noun and status == "delivered" and _under_deal(view, t):
        status = "planned"  # "أبرمت صفقة مع ... لشراء مدافع": a contract to buy, not a delivery
    # "..., وهو ما تنفيه أبوظبي": a denial of the whole claim after it
    if any(view.toks[k].folded == "ما" and k + 1 < len(view.toks)
           and view.toks[k + 1].folded in ("تنفيه", "ينفيه", "نفته", "نفاه", "تنفيانه", "نفياه")
           for k in range(t.end, len(view.toks) - 1)):
        return status + "+denied"  # the claim stands as reported, and its denial is recorded too
    # a denial anywhere before the trigger in the sentence covers it: "نفت ... صحة تقارير تفيد بأن بكين زودت"
    if status != "denied" and any(m.value == "denied" for m in cues_since_quote):
        return "denied"
    if (view.sentence.is_headline and best_pos < 0 and status == "ongoing" and t.lemma != "تدفق"
            and view.toks[t.start].folded.startswith(_IMPERFECT)):
        status = "delivered"  # headlines use the present for news: "ألمانيا ترسل ..."
    if view.toks[t.start].folded.startswith("س") and t.status == "planned":
        return "planned"
    return status


_DEAL_NOUNS: Final = frozenset(fold_token(w) for w in (
    "صفقة", "صفقات", "عقد", "عقدا", "عقدين", "عقود", "اتفاقية", "اتفاقيات", "اتفاق", "اتفاقا", "مذكرة", "طلبية",
    "تعاقدت", "تعاقد", "التعاقد", "تتعاقد", "يتعاقد"))


_URGING: Final = frozenset(fold_token(w) for w in (
    "حث", "حثت", "يحث", "تحث", "طالب", "طالبت", "يطالب", "تطالب", "دعا", "دعت", "يدعو", "تدعو", "ناشد", "ناشدت",
    "يناشد", "تناشد", "حثا", "طالبا", "دعوا"))


def _urged(view: SentenceView, t: Trigger) -> tuple[str, str] | None:
    """'حث A B على/إلى إرسال ...': (A, B) when an urging verb in the clause has two parties before the trigger."""
    lo = _clause_start(view, t.start)
    for u in range(max(lo, t.start - 12), t.start):
        if view.toks[u].folded in _URGING or any(s in _URGING for s, _ in view.toks[u].variants[1:]):
            bare = _heads(view, [a for a in view.party_actors if u < a.start < t.start and not a.is_adjective
                                 and _role(view, a) == "bare"])
            if len(bare) >= 2 and bare[0].actor_id != bare[1].actor_id:
                return bare[0].actor_id, bare[1].actor_id
            return None
    return None


_ASKING: Final = frozenset(fold_token(w) for w in ("طلب", "طلبت", "طلبنا", "يطلب", "تطلب", "نطلب", "طالب", "طالبت", "طالبنا"))


def _head_before(view: SentenceView, a: ActorMention) -> int:
    """Index of the preposition before an actor mention, skipping an organ noun (من الجانب الكوري)."""
    k = a.start - 1
    if a.organ and k >= 1:
        k -= 1
    return k


_PAIR_WORDS: Final = frozenset(fold_token(w) for w in (
    "البلدين", "البلدان", "الجانبين", "الجانبان", "الطرفين", "الطرفان", "بلديهما", "الدولتين", "الدولتان"))


def _is_deal_noun(view: SentenceView, t: Trigger) -> bool:
    return any(s in _DEAL_NOUNS for s, _ in view.toks[t.start].variants)


def _under_deal(view: SentenceView, t: Trigger) -> bool:
    """A verbal noun of buying or selling governed by a deal noun earlier in its clause ("وقعت عقدا لشراء",
    "صفقة بيع")."""
    lo = _clause_start(view, t.start)
    return any(view.toks[k].folded in _DEAL_NOUNS or any(s in _DEAL_NOUNS for s, _ in view.toks[k].variants[1:])
               for k in range(max(lo, t.start - 25), t.start))


_INTENT: Final = frozenset(fold_token(w) for w in ("تنوي", "ينوي", "تعتزم", "يعتزم", "تخطط", "يخطط", "تستعد", "يستعد"))
_DELAY: Final = frozenset(fold_token(w) for w in ("تأخر", "تاخر", "تأجل", "تأجيل", "تأخير", "علق", "علقت", "جمد", "جمدت",
                                           "تعليق", "تجميد", "توقف", "أوقفت"))


def _has_cue(view: SentenceView, t: Trigger, lo: int) -> bool:
    return bool(_lex().cues.find(view.toks, max(lo, t.start - 6), t.start))


def _window_start(view: SentenceView, i: int, words: int) -> int:
    """Start of the ``words`` content words before token i, not counting punctuation and date words
    ("وافق المجلس، في وقت سابق من هذا الشهر، على شراء")."""
    date_tokens = {k for d in view.dates for k in range(view.token_at_char(d.start), view.token_at_char(d.end - 1) + 1)}
    k, seen = i - 1, 0
    while k >= 0 and seen < words:
        if not view.toks[k].is_punct and k not in date_tokens:
            seen += 1
        k -= 1
    return k + 1


def _quote_lo(view: SentenceView, i: int) -> int:
    """Start of the stretch before token i not crossing a quotation mark or a colon."""
    k = i - 1
    while k >= 0 and view.toks[k].text not in ("\"", "«", "»", "“", "”", ":"):
        k -= 1
    return k + 1


def _items_for(view: SentenceView, triggers: list[Trigger], k: int) -> list[ItemMention]:
    t = triggers[k]
    nxt = triggers[k + 1].start if k + 1 < len(triggers) else len(view.toks)
    # "حيازة واستخدام الطائرات": triggers joined by و share the items of the last one
    j = k
    while j + 1 < len(triggers) and triggers[j + 1].start == triggers[j].end and not view.toks[triggers[j].end - 1].is_punct:
        j += 1
        nxt = triggers[j + 1].start if j + 1 < len(triggers) else len(view.toks)
    nxt = min(nxt, _item_range_end(view, t.end, nxt))
    items = [it for it in view.items if t.end <= it.start < nxt and not it.modifier]
    if t.lemma == "وصل" and t.end - t.start == 1 and items and (items[0].start > t.end + 1 or (
            items[0].quantity is None and view.toks[items[0].start].folded in _ONE_CRAFT)):
        return []  # "وصلت أربع طائرات": what arrives is the verb's subject right after it ("وصل عدد ..." is not,
        # and "وصلت طائرة الوزير" is a plane carrying someone)
    if t.lemma in _HOLDING and items and items[0].start > t.end + 5 and not t.pronoun_object:
        return []  # "ستستخدم كل الأدوات لمحاسبة المتورطين في برامج المسيرات": what is used is not the materiel
    if t.lemma in _HOLDING and items and items[0].start <= t.end + 1 and not any(
            t.end <= a.start < items[0].start for a in view.party_actors):
        return []  # "يمتلك المدفع 48 قذيفة": a thing that holds things, no state holding materiel
    if not items and t.pronoun_object:
        before = [it for it in view.items if it.end <= t.start]
        items = before[-1:] if before else []
    prod = _lex().production
    prod_at = prod.starts_in(view.toks)
    keep = []
    for it in items:
        if it.start > 0 and view.toks[it.start - 1].folded in ("اي", "لاي", "باي") and not any(
                m.value in ("denied", "-") for m in _lex().cues.find(view.toks, 0, t.start)):
            continue  # "تصدير أي سلاح": any weapon at all, not materiel that moves ("نفت أن زودت ... بأي أسلحة" is)
        if t.lemma == "استخدم" and it.start > 0 and view.toks[it.start - 1].folded == "في":
            continue  # "مكونات تستخدم في الطائرات المسيرة": what the components go into
        # an item being developed/produced is not moving: "معدات مستخدمة لإنتاج الصواريخ"
        if not t.pronoun_object and any(prod.match_at(view.toks, p) for p in prod_at if it.start - 2 <= p < it.start
                                        or (max(t.end, it.start - 4) <= p < it.start and it.quantity is not None)):
            continue
        keep.append(it)
    return keep


_LIST_GOES_ON: Final = frozenset({"وكذلك", "كذلك", "و", "اضافه", "فضلا", "بما", "خصوصا", "خاصه", "مثل", "منها", "الي", "جانب",
                           "بينها", "ومنها", "لا", "سيما", "لاسيما", "بالاضافه", "علاوه"})


def _item_range_end(view: SentenceView, lo: int, hi: int) -> int:
    """Items of a trigger run to the end of its clause: a comma after the first item ends the list unless
    what follows continues it (another item, "وكذلك", "خصوصا", ...)."""
    item_starts = {it.start for it in view.items}
    seen_item = False
    for k in range(lo, hi):
        if k in item_starts:
            seen_item = True
        t = view.toks[k]
        if seen_item and t.text in ("،", ",", "؛", ";"):
            nxt = [view.toks[j] for j in range(k + 1, min(hi, k + 3))]
            if nxt and nxt[0].folded in _NEW_CLAUSE:
                return k  # "، وهي مادة أساسية في ...": a description of the item starts, the list has ended
            if any(j in item_starts for j in range(k + 1, min(hi, k + 3))):
                continue
            if nxt and (nxt[0].folded in _LIST_GOES_ON or any(s in _LIST_GOES_ON for s, _ in nxt[0].variants)
                        or (nxt[0].folded.startswith("و") and any(p == "و" for _, p in nxt[0].variants[1:]))):
                continue
            if view.dates and any(d.start <= nxt[0].start < d.end for d in view.dates) if nxt else False:
                continue
            return k
    return hi


_NEW_CLAUSE: Final = frozenset({"وهي", "وهو", "وهم", "وهما", "وهذه", "وهذا", "وذلك", "التي", "الذي", "والتي", "والذي"})
_ATTRIBUTION: Final = frozenset({"وفقا", "وفق", "بحسب", "حسب", "نقلا", "طبقا"})


def _role_search_end(view: SentenceView, t: Trigger, nxt: int) -> int:
    """Parties of a trigger are named before the next trigger and before an attribution ("، وفقا لـ ...")."""
    for k in range(t.end, nxt):
        tok = view.toks[k]
        if tok.folded in _ATTRIBUTION or any(s in _ATTRIBUTION for s, _ in tok.variants[1:2]):
            return k
    return nxt


def _heads(view: SentenceView, actors: list[ActorMention]) -> list[ActorMention]:
    """A list without the conjuncts of a coordination: "روسيا والصين إيران" -> [روسيا, إيران] (والصين joins
    روسيا as a second party on the same side, see ``_conjoined``)."""
    out: list[ActorMention] = []
    for a in actors:
        if out and a.prefix.startswith("و") and a.start == out[-1].end:
            continue
        if out and a.prefix.startswith("و") and any(a.start == b.end and b in actors for b in view.party_actors):
            continue
        out.append(a)
    return out


def _first(view: SentenceView, lo: int, hi: int, roles: set[str], *, adjectives: bool = False) -> ActorMention | None:
    for a in view.party_actors:
        if lo <= a.start < hi and (adjectives or not a.is_adjective) and _role(view, a) in roles:
            return a
    return None


class _Flow(Value):
    """A trigger resolved to supplier, recipient, items and status."""

    def __init__(self, supplier: str | None, recipient: str | None, items: list[ItemMention], status: str,
                 frame: str, trigger: Trigger, reversed_items: list[ItemMention]) -> None:
        self.supplier = supplier
        self.recipient = recipient
        self.items = items
        self.status = status
        self.frame = frame
        self.trigger = trigger
        self.reversed_items = reversed_items

    def _fields(self) -> tuple:
        return (self.supplier, self.recipient, self.items, self.status, self.frame, self.trigger, self.reversed_items)

def _resolve(view: SentenceView, triggers: list[Trigger], k: int, prev: _Flow | None) -> _Flow | None:
    t = triggers[k]
    lo = _clause_start(view, t.start)
    if (k > 0 and prev is not None and prev.trigger is triggers[k - 1] and prev.items
            and any(triggers[k - 1].end <= a.start < t.start for a in view.party_actors)):
        lo = max(lo, triggers[k - 1].end)  # the previous verb's clause has its own parties
    if k > 0 and t.start > 0 and not view.toks[t.start - 1].is_punct and triggers[k - 1].end <= t.start \
            and any(p.startswith("و") for _, p in view.toks[t.start].variants[1:]):
        lo = t.start  # "تزود طهران كراكاس بمسيرات وتنقل إليها تقنية": a verb joined by و shares the first one's subject
    nxt = triggers[k + 1].start if k + 1 < len(triggers) else len(view.toks)
    items = _items_for(view, triggers, k)
    if not items and k == len(triggers) - 1:
        return None  # nothing moves, and no later trigger reads this flow
    status = _status(view, t, lo)
    if status is None:
        return None
    if t.frame == "include":
        if prev is None or (k + 1 < len(triggers) and triggers[k + 1].start <= t.end + 1):
            return None  # "شمل شحن طهران أسلحة إلى موسكو": what is included is another transfer, read by its own verb
        cue_status = _status(view, t, lo) if _has_cue(view, t, lo) else prev.status
        if t.lemma == "خيار":
            cue_status = "considered"  # "مع خيار لشراء 36 طائرة إضافية": an option is only considered
        elif not _has_cue(view, t, lo) and t.status == "planned" and prev.frame == "carried":
            cue_status = "planned"  # "وستضم الدفعة الأولى ...": the future tense of the itemising verb
        return _Flow(prev.supplier, prev.recipient, items, cue_status or prev.status, "include", t, [])
    exch_at = None if t.lemma == "دفع" else next(  # "دفعت ... مقابل الطائرات": what is paid for is received
        (i for i in range(t.end, nxt) if view.toks[i].folded in _lex().exchange), None)
    reversed_items: list[ItemMention] = []
    if exch_at is not None:
        reversed_items = [it for it in items if it.start > exch_at]
        items = [it for it in items if it.start <= exch_at]
    after_agent = None
    if t.end < len(view.toks):
        a = next((x for x in view.party_actors if x.start == t.end and not x.is_adjective), None)
        if a is not None and _role(view, a) == "bare":
            after_agent = a
    hi = _role_search_end(view, t, nxt)
    agent = _accused(view, t, lo) or _agent_before(view, t, lo)
    if agent is None and lo > 0 and view.toks[lo - 1].text in ("\"", "«", "“") and lo >= 2 \
            and not view.is_boundary(lo - 2):
        agent = _agent_before(view, t, _clause_start(view, lo - 1))  # 'أن الشركة التركية "ستنقل ...'

    if agent is None and lo > 0 and (view.toks[lo - 1].folded in _PRONOUN_CLAUSE or (
            view.toks[lo - 1].folded == "ان" and lo < len(view.toks) and view.toks[lo].folded in ("تكون", "يكون"))):
        # "نفت الهند أنها زودت ...": the pronoun is the subject of the main clause, the first party named in it
        # ("نفت الصين اتهامات الرئيس الأوكراني بأنها تزود ...")
        main_lo = _clause_start(view, lo - 1)
        agent = next((a for a in view.party_actors if main_lo <= a.start and a.end < lo and not a.is_adjective
                      and _role(view, a) == "bare"), None) or _agent_before(view, t, main_lo)
    supplier = recipient = None
    if t.frame == "supply":
        bare = _heads(view, [a for a in view.party_actors if t.end <= a.start < hi and not a.is_adjective
                             and _role(view, a) == "bare" and (not items or a.start < items[0].start)])
        if len(bare) >= 2 and agent is None:
            supplier, recipient = bare[0].actor_id, bare[1].actor_id
        elif bare:
            recipient = bare[0].actor_id
            supplier = agent.actor_id if agent else None
        else:
            dest = _first(view, t.end, hi, {"dest"})
            recipient = dest.actor_id if dest else None
            supplier = agent.actor_id if agent else None
            if recipient is None:  # "تزويد الأصدقاء في فنزويلا": the people served, placed by في
                placed = next((a for a in view.party_actors if a.start == t.end + 2 and not a.is_adjective
                               and view.toks[t.end + 1].folded == "في" and not view.toks[t.end].is_punct
                               and not any(it.start == t.end for it in view.items)), None)
                recipient = placed.actor_id if placed else None
    elif t.frame in ("send", "intercept"):
        src = _first(view, t.end, hi, {"source"})
        dest = _first(view, t.end, hi, {"dest"})
        partner = _first(view, t.end, hi, {"partner"}) if _is_deal_noun(view, t) else None
        if t.lemma == "وصل":
            supplier = src.actor_id if src else None  # arriving: no agent, only an origin
        elif partner is not None and agent is not None and src is None:
            supplier = partner.actor_id  # "عززت مصر ترسانتها بصفقات أسلحة مع فرنسا": the partner sells
            recipient = agent.actor_id
        elif t.frame == "send":
            if src is not None:
                supplier = src.actor_id
            elif t.noun and after_agent is not None and agent is not None and not dest:
                supplier = agent.actor_id  # "تعتزم ألمانيا تسليم أوكرانيا منظومات": the noun's object
            elif t.noun and after_agent is not None:
                supplier = after_agent.actor_id  # "شحن طهران كميات ... إلى موسكو": the noun's agent
            elif agent is not None:
                supplier = agent.actor_id
            else:
                first_bare = _first(view, t.end, hi, {"bare"})
                person = _person_before(view, t, lo)
                supplier = first_bare.actor_id if first_bare else (person.actor_id if person else None)
        else:
            supplier = src.actor_id if src else None
        recipient = dest.actor_id if dest else recipient
        if recipient is None:
            recipient = _place_dest(view, t.end, hi)
        if recipient is None and t.frame == "send" and t.noun and after_agent is not None \
                and supplier != after_agent.actor_id:
            recipient = after_agent.actor_id
        if recipient is None and t.frame == "send" and not t.noun:
            bare = _heads(view, [a for a in view.party_actors if t.end <= a.start < hi and not a.is_adjective
                                 and _role(view, a) == "bare" and (not items or a.start < items[0].start)])
            if len(bare) >= 2 and supplier == bare[0].actor_id:
                recipient = bare[1].actor_id  # "سلمت ألمانيا أوكرانيا معدات": double object
            elif len(bare) == 1 and agent is not None and supplier == agent.actor_id:
                recipient = bare[0].actor_id
        if recipient is None and t.start >= 1 and any(view.toks[i].folded in _lex().exchange
                                                      for i in range(max(0, t.start - 3), t.start)):
            others = [a for a in view.party_actors if lo <= a.start < t.start and a.actor_id != supplier]
            recipient = others[-1].actor_id if others else None
    elif t.frame == "receive":
        src = _first(view, t.end, len(view.toks) if t.pronoun_object else hi, {"source"})
        if t.pronoun_object and src is None:
            src = _first(view, t.end, len(view.toks), {"source"})
        if t.noun and after_agent is not None:
            recipient = after_agent.actor_id
        elif agent is not None:
            recipient = agent.actor_id
        else:
            first_bare = _first(view, t.end, hi, {"bare"})
            recipient = first_bare.actor_id if first_bare else None
        supplier = src.actor_id if src else None
        if supplier is None:  # "طلبنا من الجانب الكوري الإسراع في الاستحواذ على ...": asked of the seller
            asked = next((a for a in view.party_actors if lo <= a.start < t.start and _role(view, a) == "source"
                          and a.start >= 2 and any(s in _ASKING for s, _ in view.toks[_head_before(view, a) - 1].variants)),
                         None)
            supplier = asked.actor_id if asked else None
        nxt_word = view.toks[t.end].folded if t.end < len(view.toks) else ""
        if nxt_word in ("علي", "عل") and t.end + 1 < len(view.toks):
            nxt_word = view.toks[t.end + 1].folded
        if nxt_word in _DEAL_NOUNS and supplier is None:
            # "حصلت بوينغ على عقد لتسليم مقاتلات لإسرائيل": who wins a contract supplies, it does not receive
            dest = _first(view, t.end, hi, {"dest"})
            owner = next((it.owner_id for it in items if it.owner_id), None)
            return _Flow(recipient, dest.actor_id if dest else owner, items,
                         "planned" if status == "delivered" else status, t.frame, t, [])
        if supplier is None:
            partner = next((a for a in view.party_actors if lo <= a.start < t.start and _role(view, a) == "partner"), None)
            if partner is None:  # "مع شركة "ميتسوبيشي" اليابانية": the maker's demonym names the partner
                with_at = next((k for k in range(lo, t.start) if view.toks[k].folded == "مع"), None)
                if with_at is not None:
                    partner = next((a for a in view.owner_actors if with_at < a.start <= with_at + 6
                                    and _as_party(a) is not None), None)
            supplier = _as_party(partner) if partner else None  # "وقعت اتفاقا مع سيول لشراء ..."
    elif t.frame == "offer":
        dest = _first(view, t.end, hi, {"offer_dest", "dest"})
        supplier = agent.actor_id if agent else (after_agent.actor_id if after_agent else None)
        recipient = dest.actor_id if dest else None
    if t.frame in ("send", "supply"):
        urged = _urged(view, t)
        if urged is not None:  # "حثت ماليزيا كوريا الجنوبية على تعجيل إرسال طائرات": B sends to A, A asks for it
            recipient, supplier = urged
            status = "sought" if status in ("delivered", "ongoing") else status
    if (recipient is None and agent is None and after_agent is None and prev is not None and k > 0
            and t.frame == "receive" and (view.toks[t.start].folded.startswith("و") or prev.frame == "receive")):
        recipient = prev.recipient  # "إذ اشترت ... من فرنسا، وتسلمت ... من روسيا"
    if (supplier is None and agent is None and after_agent is None and prev is not None and k > 0
            and view.toks[t.start].folded.startswith("و") and t.frame in ("send", "supply")):
        supplier, recipient = prev.supplier, recipient or prev.recipient  # "تزود طهران كراكاس ... وتنقل تقنية"
        if not _has_cue(view, t, t.start - 1):
            status = prev.status
    if t.frame in ("send", "supply") and recipient is None and view.toks[t.end - 1].folded.endswith(("ها", "هم")):
        # "باعتها ..." / "زودتها ...": the pronoun is the recipient named just before
        before = [a for a in view.party_actors if a.end <= t.start and a.actor_id != supplier
                  and _role(view, a) in ("dest", "bare") and not a.is_adjective]
        recipient = before[-1].actor_id if before else None
    elif t.frame == "coop":
        if k > 0:
            return None  # cooperation words after another trigger only restate it
        partner = _first(view, t.end, hi, {"partner"})
        supplier = agent.actor_id if agent else None
        recipient = partner.actor_id if partner else None
        if not any(w in {tok.folded for tok in view.toks[t.end:hi]} for w in ("مجال", "يشمل", "ذلك", "مجالات")):
            return None
    return _Flow(supplier, recipient, items, status, t.frame, t, reversed_items)


def extract_transfers(view: SentenceView, article_id: str, prev_flow: dict) -> list[TransferRow]:
    """Transfer rows of one sentence. ``prev_flow`` carries the last resolved flow of the paragraph
    (a continuation like "وإجمالا تسعى إيران للحصول على ..." keeps the previous supplier)."""
    triggers = find_triggers(view)
    rows: dict[tuple, TransferRow] = {}
    prev: _Flow | None = None
    for k in range(len(triggers)):
        if prev is None and triggers[k].frame == "include":
            prev = _carried_flow(view, triggers[k], prev_flow)
        flow = _resolve(view, triggers, k, prev)
        if flow is None:
            continue
        groups = [(flow.items, flow.supplier, flow.recipient, False)]
        if flow.reversed_items:
            groups.append((flow.reversed_items, flow.recipient, flow.supplier, True))
        for items, supplier, recipient, is_reversed in groups:
            owner = next((it.owner_id for it in items if it.owner_id), None)
            for it in items:
                own = it.owner_id or owner or model_countries().get(it.model or "") or next(
                    (a.actor_id for a in view.owner_actors if a.start == it.end and a.kind.startswith("demonym")), None)
                sup = supplier
                if flow.frame == "receive" and not is_reversed:
                    src = _source_after(view, it, flow)
                    sup = src or supplier
                sup = sup or own
                rec = recipient
                if rec is None and sup is not None and prev_flow.get("supplier") == sup:
                    rec = prev_flow.get("recipient")
                if rec is None and sup is not None and flow.frame != "include":
                    rec = prev_flow.get("article_by_supplier", {}).get(sup)
                if sup is None and rec is not None and prev_flow.get("recipient") == rec \
                        and flow.trigger.lemma not in _HOLDING:
                    sup = prev_flow.get("supplier")  # using something says who got it, not who gave it
                if sup is None and rec is not None and flow.trigger.lemma not in _HOLDING:
                    sup = prev_flow.get("article", {}).get(rec)  # the article's supplier of this recipient
                if not sup and not rec and (_agentless(view, flow) or any(
                        s in _PAIR_WORDS for tok in view.toks for s, _ in tok.variants)):
                    # "اتفاق لنقل التكنولوجيا بين البلدين": the two countries of the article's frame
                    carried = prev_flow.get("carried") or {}
                    if carried.get("segment") == view.sentence.segment:
                        sup, rec = carried.get("supplier"), carried.get("recipient")
                if (bool(sup) != bool(rec) and "carried" in prev_flow and view.sentence.segment == "main"
                        and (view.sentence.is_headline or view.sentence.index == 0) and flow.frame != "include"):
                    q = it.quantity  # "كييف استلمت 1.1 مليون قذيفة": the headline's other party is named in the body
                    prev_flow["carried"].setdefault("pending", []).append(TransferRow(
                        row_id="", article_id=article_id, supplier_id=sup or "", recipient_id=rec or "",
                        item_category=it.category, item_text=it.text, item_model=it.model,
                        quantity_min=q.min if q else None, quantity_max=q.max if q else None,
                        quantity_unit=(q.unit or "unit") if q else None,
                        status=(it.cue_status or flow.status).split("+")[0], time_text=_time_text(view, flow.trigger),
                        segment=view.sentence.segment, sentence_index=view.sentence.index, evidence_text=view.text,
                        confidence=0.5, rule=f"transfer.headline:{flow.trigger.lemma}"))
                if not sup or not rec or sup == rec:
                    continue
                category, model = it.category, it.model
                if model in _SAME_MODEL and (prev_flow.get("carried") or {}).get("category"):
                    # "ثلاث طائرات من الطراز نفسه": the type named last in the article
                    category, model = prev_flow["carried"]["category"], prev_flow["carried"].get("model")
                extra_parties = _extra_parties(view, flow, sup, rec)
                statuses = (it.cue_status or flow.status).split("+")
                status = statuses[0]
                if is_reversed:
                    tense_present = view.toks[flow.trigger.start].folded.startswith(_IMPERFECT)
                    status = it.cue_status or ("ongoing" if tense_present else "delivered")
                key = (sup, rec, category, status)
                q = it.quantity
                row = TransferRow(
                    row_id=row_id(article_id, view.sentence.index, *key),
                    article_id=article_id, supplier_id=sup, recipient_id=rec, item_category=category,
                    item_text=it.text, item_model=model if model not in _SAME_MODEL else None,
                    quantity_min=q.min if q else None, quantity_max=q.max if q else None,
                    quantity_unit=(q.unit or "unit") if q else None,
                    status=status, time_text=_time_text(view, flow.trigger),
                    segment=view.sentence.segment, sentence_index=view.sentence.index,
                    evidence_text=view.text, confidence=CONFIDENCE.get("exchange" if is_reversed else flow.frame, 0.6),
                    rule=f"transfer.{flow.frame}:{flow.trigger.lemma}",
                )
                if key not in rows or (rows[key].quantity_min is None and row.quantity_min is not None):
                    rows[key] = row
                for extra in statuses[1:]:
                    ekey = (sup, rec, category, extra)
                    if ekey not in rows:
                        rows[ekey] = replace(row, status=extra, row_id=row_id(article_id, view.sentence.index, *ekey))
                for esup, erec in extra_parties:  # "من الدنمارك وهولندا": one row per conjoined party
                    ekey = (esup, erec, category, status)
                    if esup != erec and ekey not in rows:
                        rows[ekey] = replace(row, supplier_id=esup, recipient_id=erec,
                                             row_id=row_id(article_id, view.sentence.index, *ekey))
                prev_flow.update(supplier=sup, recipient=rec)
                if "carried" in prev_flow:
                    prev_flow["carried"].update(supplier=sup, recipient=rec, status=status,
                                                segment=view.sentence.segment, category=category,
                                                model=model if model not in _SAME_MODEL else None)
                if "article" in prev_flow:
                    prev_flow["article"][rec] = sup
                    prev_flow["article_by_supplier"][sup] = rec
        prev = flow
    return list(rows.values())


_FRAME_NOUNS: Final = frozenset(fold_token(w) for w in (
    "صفقة", "حزمة", "شحنة", "شحنات", "عقد", "دفعة", "دفعات", "مساعدات", "اتفاقية", "اتفاق", "طلبية", "صفقات",
    "الصفقة", "الحزمة", "الشحنة", "الشحنات", "العقد", "الدفعة", "الدفعات", "المساعدات", "الاتفاقية", "الاتفاق",
    "الطلبية", "الصفقات", "الحمولة", "حمولة"))


_PASSIVE_AUX: Final = frozenset(fold_token(w) for w in ("تم", "تمت", "يتم", "سيتم", "جرى", "يجري", "جري"))


def _agentless(view: SentenceView, flow: _Flow) -> bool:
    """A transfer told without its parties ("وتم مصادرة ..."، "تم تسليم ..."، a seizure): it continues the
    article's last frame."""
    t = flow.trigger
    if t.lemma == "وصل":  # arriving has no agent: only a named origin or destination would make it a new frame
        return not any(_role(view, a) in ("source", "dest") for a in view.party_actors if a.start >= t.end)
    if any(a.start < t.start + 12 and _role(view, a) != "blocked" for a in view.party_actors):
        return False
    return flow.frame == "intercept" or any(view.toks[k].folded in _PASSIVE_AUX or any(
        s in _PASSIVE_AUX for s, _ in view.toks[k].variants[1:]) for k in range(max(0, t.start - 2), t.start))


def _carried_flow(view: SentenceView, t: Trigger, prev_flow: dict) -> _Flow | None:
    """A package, shipment or deal named in an earlier sentence and itemised in this one ("وتشمل الصفقة ...",
    "الدفعة الأولى ستضم ..."): the article's last transfer frame gives supplier, recipient and status, when
    the itemising verb's subject is a frame noun or is left implicit (no party named before the verb)."""
    carried = prev_flow.get("carried") or {}
    if not carried.get("supplier") or not carried.get("recipient") or carried.get("segment") != view.sentence.segment:
        return None
    lo = _clause_start(view, t.start)
    near = range(max(lo, t.start - 4), min(len(view.toks), t.end + 3))
    framed = any(view.toks[k].folded in _FRAME_NOUNS or any(s in _FRAME_NOUNS for s, _ in view.toks[k].variants)
                 for k in near)
    implicit = not any(a.start < t.start for a in view.party_actors) and all(
        view.toks[k].is_punct or view.toks[k].folded in ("و", "كما") for k in range(0, t.start))
    if not framed and not implicit:
        return None
    if any(lo <= a.start < t.start and not a.is_adjective for a in view.party_actors):
        return None  # "وتضم القوات الجوية المصرية ...": the sentence names its own subject
    return _Flow(carried["supplier"], carried["recipient"], [], carried.get("status") or "delivered", "carried", t, [])


def headline_transfers(flow: dict) -> list[TransferRow]:
    """Headline transfers that name one party only, completed once the whole article is read: the body's
    supplier of that recipient (or recipient of that supplier). Unresolved ones give no row."""
    carried = flow.get("carried") or {}
    by_recipient, by_supplier = flow.get("article") or {}, flow.get("article_by_supplier") or {}
    rows: dict[tuple, TransferRow] = {}
    for row in carried.get("pending", []):
        sup = row.supplier_id or by_recipient.get(row.recipient_id)
        rec = row.recipient_id or by_supplier.get(row.supplier_id)
        if not sup or not rec or sup == rec:
            continue
        key = (sup, rec, row.item_category, row.status)
        if key not in rows:
            rows[key] = replace(row, supplier_id=sup, recipient_id=rec,
                                row_id=row_id(row.article_id, row.sentence_index, *key))
    return list(rows.values())


def _extra_parties(view: SentenceView, flow: _Flow, sup: str, rec: str) -> list[tuple[str, str]]:
    """Further (supplier, recipient) pairs when a party is a list joined by و."""
    out: list[tuple[str, str]] = []
    lo, hi = flow.trigger.end, len(view.toks)
    # "روسيا والصين زودتا إيران": the agent before the verb may be a list, its last member nearest the verb
    agent_lo = _clause_start(view, flow.trigger.start)
    before = [a for a in view.party_actors if agent_lo <= a.start and a.end <= flow.trigger.start
              and not a.is_adjective and _role(view, a) == "bare"]
    if before:
        last = before[-1]
        chain = [last]
        for b in reversed(before[:-1]):
            if chain[0].prefix.startswith("و") and b.end == chain[0].start:
                chain.insert(0, b)
            else:
                break
        if len(chain) > 1:
            ids = [c.actor_id for c in chain]
            if sup in ids:
                out += [(x, rec) for x in ids if x != sup]
            elif rec in ids:
                out += [(sup, x) for x in ids if x != rec]
    for a in view.party_actors:
        if a.start < lo or a.start >= hi:
            continue
        role = _role(view, a)
        if a.actor_id == sup and role in ("source", "bare"):
            out += [(x, rec) for x in _conjoined(view, a)]
        elif a.actor_id == rec and role in ("dest", "bare"):
            out += [(sup, x) for x in _conjoined(view, a)]
    return out


def _conjoined(view: SentenceView, a: ActorMention) -> list[str]:
    """Actors joined to ``a`` by و right after it: "من الدنمارك وهولندا" -> [NLD]."""
    out, end = [], a.end
    for b in view.party_actors:
        if b.start == end and b.prefix.startswith("و") and not b.is_adjective:
            out.append(b.actor_id)
            end = b.end
    return out


def _source_after(view: SentenceView, it: ItemMention, flow: _Flow) -> str | None:
    """'ست مقاتلات من روسيا، وأربع ... من بيلاروسيا': each item's own source, the nearest من X after it."""
    for a in view.party_actors:
        if a.start >= it.end and _role(view, a) == "source":
            if any(o.start > it.end and o.start < a.start for o in view.items if o is not it):
                return None  # another item comes first: this source is that item's
            return a.actor_id
    return None


def _time_text(view: SentenceView, t: Trigger) -> str | None:
    best = None
    for d in view.dates:
        if d.lead and fold_token(d.lead) in ("منذ", "حتى", "خلال", "قبل", "بعد"):
            best = f"{d.lead} {d.text}"
            break
        if d.kind == "vague" and best is None:
            best = d.text
    return best


__all__ = ["extract_transfers", "find_triggers", "headline_transfers"]
