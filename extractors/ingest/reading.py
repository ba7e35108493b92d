"""Reading article files safely: decoding, sidecar parsing, quarantine reasons, content ids.

``read_article_file(path)`` never raises for a bad input file: it returns a ``ReadResult`` whose ``status`` is
``'ok'`` (``text`` holds the decoded article) or ``'quarantined'`` (``reason`` is ``"<code>: <detail>"`` with a
code from ``QUARANTINE_CODES``).

Decoding order (hand-written rather than chardet/charset-normalizer: the candidate set is small and fixed, the
rules are contract rules, and guessing libraries are slow and non-deterministic on short Arabic texts):
known binary signature -> BOM (UTF-8 / UTF-16 LE / UTF-16 BE) -> NUL bytes (BOM-less UTF-16 or binary) ->
strict UTF-8 -> Windows-1256, accepted only when the result is plausibly Arabic text.
The decoded text has its BOM stripped, CRLF/CR turned into LF and is Unicode NFC. Nothing else is touched:
text that looks like SQL, a template or a shell command is returned exactly as written.

The hot path (a few KB of valid UTF-8) costs a strict decode, a NUL scan, an NFC quick check and one
vectorised pass over the code points (numpy lookup table) that counts letters, Arabic letters and control
characters at once.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np

from extractors.schemas import Sidecar, content_article_id, normalise_for_id, safe_nfc  # noqa: F401  (re-exported)
from extractors.text.textnorm import arabic_ratio

DEFAULT_MAX_BYTES = 5_000_000
SIDECAR_MAX_BYTES = 64 * 1024
SIDECAR_SUFFIX = ".meta.json"
MIN_ARABIC_RATIO = 0.30
MAX_CONTROL_SHARE = 0.01  # more control characters than this share of the text (and more than one) -> binary
QUARANTINE_CODES = (
    "empty", "whitespace_only", "binary", "undecodable", "truncated", "not_arabic", "too_large", "unreadable",
)
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "cp1256")
SIDECAR_KEYS = ("url", "published_at", "source_name", "language")

# Leading bytes of common binary formats that can land in a scraped inbox.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (or DOCX/XLSX)"),
    (b"PK\x05\x06", "empty ZIP archive"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"\x1f\x8b", "GZIP archive"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\x7fELF", "ELF executable"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2 document (DOC/XLS)"),
    (b"BZh", "BZIP2 archive"),
)
_MAGIC_PREFIXES = tuple(signature for signature, _ in _MAGIC)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Characters that may separate or pad text without being visible.
_INVISIBLE_ONLY = re.compile(r"[\s\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]*")
# A complete multi-byte UTF-8 sequence (used to recognise damaged UTF-8, which cp1256 would turn into mojibake).
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_BLANK_RUNS = re.compile(r"\n{3,}")
_HIGH_BYTES = bytes(range(0x80, 0x100))

# Classes of the per-code-point lookup table.
_OTHER, _LETTER, _ARABIC_LETTER, _CONTROL, _HIGH_SURROGATE = range(5)
_KEEP_CONTROLS = "\t\n\r\x0b\x0c"
_FIELD_BITS = 21
_CHUNK = 1 << 20  # code units summed at once (< 2**21, so no counter overflows)


class DecodeProblem(Exception):
    """Bytes that cannot be turned into article text; ``code`` is one of ``QUARANTINE_CODES``."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail

    @property
    def reason(self) -> str:
        return f"{self.code}: {self.detail}"


@dataclass
class ReadResult:
    path: Path
    file_name: str
    size_bytes: int
    mtime_ns: int
    sha256: str | None
    status: str  # 'ok' | 'quarantined'
    reason: str | None  # "<code>: <detail>" when quarantined
    text: str | None  # decoded, BOM stripped, LF line endings, NFC
    encoding: str | None  # one of ENCODINGS
    sidecar: Sidecar | None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def reason_code(self) -> str | None:
        return self.reason.split(":", 1)[0] if self.reason else None


@dataclass(frozen=True)
class _Profile:
    """Counts over a text: characters, letters (str.isalpha), Arabic letters, control characters."""

    chars: int
    letters: int
    arabic_letters: int
    controls: int

    @property
    def arabic_share(self) -> float:
        return self.arabic_letters / self.letters if self.letters else 0.0

    @property
    def control_share(self) -> float:
        return self.controls / self.chars if self.chars else 0.0

    @property
    def too_many_controls(self) -> bool:
        return self.controls > 1 and self.control_share > MAX_CONTROL_SHARE


# ---------------------------------------------------------------- paths


def is_sidecar(path: Path | str) -> bool:
    """True for ``NAME.meta.json`` files, which describe an article and are never articles themselves.
    String work only (no Path object): discovery asks this for every file of the inbox."""
    return os.path.basename(os.fspath(path)).lower().endswith(SIDECAR_SUFFIX)


def sidecar_path(path: Path | str) -> Path:
    """``NAME.meta.json`` beside ``NAME.txt`` (the last suffix of the article file is replaced)."""
    stem, _ = os.path.splitext(os.fspath(path))
    return Path(stem + SIDECAR_SUFFIX)


# ---------------------------------------------------------------- decoding


@cache
def _class_table() -> np.ndarray:
    """Class of every BMP code point, mirroring ``textnorm.arabic_ratio`` (isalpha, U+0600..U+06FF)."""
    table = np.zeros(0x10000, dtype=np.uint8)
    for cp in range(0x10000):
        ch = chr(cp)
        if ch.isalpha():
            table[cp] = _ARABIC_LETTER if 0x0600 <= cp <= 0x06FF else _LETTER
        elif unicodedata.category(ch) == "Cc" and ch not in _KEEP_CONTROLS:
            table[cp] = _CONTROL
    table[0xD800:0xDC00] = _HIGH_SURROGATE  # first half of an astral character in UTF-16
    return table


@cache
def _packed_table() -> np.ndarray:
    """Per code point, its contribution to three 21-bit counters packed in one uint64: letters | Arabic | odd.

    "odd" counts control characters and astral characters (high surrogates); one vectorised sum counts all.
    """
    weights = np.array([0, 1, 1 + (1 << _FIELD_BITS), 1 << (2 * _FIELD_BITS), 1 << (2 * _FIELD_BITS)], dtype=np.uint64)
    return weights[_class_table()]


def _slow_profile(text: str) -> _Profile:
    letters = sum(1 for c in text if c.isalpha())
    arabic = round(arabic_ratio(text) * letters)
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in _KEEP_CONTROLS)
    return _Profile(len(text), letters, arabic, controls)


def _profile(text: str) -> _Profile:
    units = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype="<u2")
    table, mask = _packed_table(), (1 << _FIELD_BITS) - 1
    letters = arabic = odd = 0
    for start in range(0, len(units), _CHUNK):  # chunks keep each 21-bit counter from overflowing
        total = int(table.take(units[start:start + _CHUNK]).sum())
        letters += total & mask
        arabic += (total >> _FIELD_BITS) & mask
        odd += total >> (2 * _FIELD_BITS)
    if odd:  # control or astral characters: rare, so count them exactly the slow way
        return _slow_profile(text)
    return _Profile(len(text), letters, arabic, 0)


def _normalise(text: str) -> str:
    text = text.lstrip("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return safe_nfc(text)  # NFC (unchanged when the quick check says NFC), linear even on runs of marks


def _magic(data: bytes) -> str | None:
    if not data.startswith(_MAGIC_PREFIXES):
        return None
    for signature, name in _MAGIC:
        if data.startswith(signature):
            return name
    return None


def _utf8_tail_gap(data: bytes) -> int:
    """Number of bytes at the end of ``data`` that start a multi-byte UTF-8 character but do not complete it."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if 0x80 <= byte <= 0xBF:  # continuation byte: keep looking for the lead byte
            continue
        need = 2 if 0xC2 <= byte <= 0xDF else 3 if 0xE0 <= byte <= 0xEF else 4 if 0xF0 <= byte <= 0xF4 else 0
        return back if need > back else 0
    return 0


class _NotUtf8(Exception):
    def __init__(self, error: UnicodeDecodeError) -> None:
        super().__init__(str(error))
        self.error = error


def _strict(data: bytes, codec: str) -> str | UnicodeDecodeError:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        return exc


def _byte_at(data: bytes, offset: int) -> str:
    return f"byte 0x{data[offset]:02X} at offset {offset}" if offset < len(data) else f"offset {offset}"


def _decode_utf16(data: bytes, codec: str, *, bom: bool) -> str:
    body = data[2:] if bom else data
    label = "UTF-16 LE" if codec == "utf-16-le" else "UTF-16 BE"
    if len(body) % 2:
        raise DecodeProblem("truncated", f"{label} text has an odd number of bytes ({len(body)}): the last character is cut off")
    result = _strict(body, codec)
    if isinstance(result, UnicodeDecodeError):
        if result.end >= len(body) and "end of data" in result.reason:
            raise DecodeProblem("truncated", f"{label} text ends inside a surrogate pair")
        raise DecodeProblem("undecodable", f"invalid {label} at offset {result.start + (2 if bom else 0)}: {result.reason}")
    return result


def _looks_like_text(text: str) -> bool:
    """Plausible human text: mostly printable ASCII, Latin-1, Arabic or general punctuation, few controls."""
    if not text:
        return False
    units = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype="<u2")
    common = (
        ((units >= 0x20) & (units <= 0x7E))
        | (units == 0x0A) | (units == 0x0D) | (units == 0x09)
        | ((units >= 0xA0) & (units <= 0xFF))
        | ((units >= 0x0600) & (units <= 0x06FF))
        | ((units >= 0x2000) & (units <= 0x206F))
        | ((units >= 0xFB50) & (units <= 0xFEFF))
    )
    return int(np.count_nonzero(common)) / len(units) >= 0.95 and not _profile(text).too_many_controls


def _guess_bomless_utf16(data: bytes) -> tuple[str, str] | None:
    """Text and codec when NUL-carrying bytes are UTF-16 without a BOM, else None."""
    if len(data) % 2:
        return None
    # In UTF-16 LE, ASCII has its NUL in odd positions and Arabic its 0x06 there; BE mirrors that.
    odd_hint = data[1::2].count(0) + data[1::2].count(6)
    even_hint = data[0::2].count(0) + data[0::2].count(6)
    order = ("utf-16-le", "utf-16-be") if odd_hint >= even_hint else ("utf-16-be", "utf-16-le")
    for codec in order:
        text = _strict(data, codec)
        if isinstance(text, str) and _looks_like_text(text):
            return text, codec
    return None


def _decode_cp1256(data: bytes, utf8_error: UnicodeDecodeError) -> str:
    non_ascii = len(data) - len(data.translate(None, _HIGH_BYTES))
    in_utf8 = sum(len(m) for m in _UTF8_MULTIBYTE.findall(data))
    where = _byte_at(data, utf8_error.start)
    if non_ascii and in_utf8 / non_ascii > 0.5:
        raise DecodeProblem("undecodable", f"damaged UTF-8: invalid {where} ({utf8_error.reason}) in otherwise UTF-8 text")
    text = _normalise(data.decode("cp1256"))  # cp1256 maps every byte, so this never fails
    profile = _profile(text)
    if profile.too_many_controls:
        raise DecodeProblem("binary", f"not UTF-8 ({where}) and {profile.controls} control characters as Windows-1256")
    if profile.arabic_share < MIN_ARABIC_RATIO:
        raise DecodeProblem(
            "undecodable",
            f"not valid UTF-8 ({where}) and as Windows-1256 only {profile.arabic_share:.0%} of letters are Arabic",
        )
    return text


def _decode(data: bytes) -> tuple[str, str]:
    if not data:
        raise DecodeProblem("empty", "file has 0 bytes")
    kind = _magic(data)
    if kind:
        raise DecodeProblem("binary", f"starts with the signature of a {kind}")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            if codec == "utf-8-sig":
                return _decode_utf8(data, bom=True), codec
            return _decode_utf16(data, codec, bom=True), codec
    if b"\x00" in data:
        guessed = _guess_bomless_utf16(data)
        if guessed is None:
            raise DecodeProblem("binary", f"contains {data.count(0)} NUL bytes and is not UTF-16 text")
        return guessed
    try:
        return _decode_utf8(data, bom=False), "utf-8"
    except _NotUtf8 as exc:
        return _decode_cp1256(data, exc.error), "cp1256"


def _decode_utf8(data: bytes, *, bom: bool) -> str:
    body = data[3:] if bom else data
    result = _strict(body, "utf-8")
    if isinstance(result, str):
        return result
    gap = _utf8_tail_gap(body)
    if gap and result.start == len(body) - gap:
        tail = " ".join(f"0x{b:02X}" for b in body[-gap:])
        raise DecodeProblem(
            "truncated", f"UTF-8 text ends inside a multi-byte character (last {gap} byte(s) {tail} are incomplete)"
        )
    if bom:
        raise DecodeProblem("undecodable", f"starts with a UTF-8 BOM but has invalid {_byte_at(data, result.start + 3)}")
    raise _NotUtf8(result)


def _decode_checked(data: bytes) -> tuple[str, str, _Profile]:
    raw, encoding = _decode(data)
    text = _normalise(raw)
    profile = _profile(text)
    if profile.too_many_controls:
        raise DecodeProblem(
            "binary", f"{profile.controls} control characters ({profile.control_share:.1%} of the text) after decoding"
        )
    return text, encoding, profile


def decode_bytes(data: bytes) -> tuple[str, str]:
    """(text, encoding) of an article's bytes, or raise ``DecodeProblem`` (empty/binary/truncated/undecodable).

    The text has no BOM, LF line endings and is NFC; encoding is one of ``ENCODINGS``.
    """
    text, encoding, _ = _decode_checked(data)
    return text, encoding


def content_problem(text: str, profile: _Profile | None = None) -> str | None:
    """Quarantine reason for decoded text that is not an Arabic article (whitespace_only, not_arabic), else None."""
    if _INVISIBLE_ONLY.fullmatch(text):
        return f"whitespace_only: {len(text)} characters, none of them visible"
    profile = profile or _profile(text)
    if profile.letters == 0:
        return "not_arabic: the text has no letters at all"
    if profile.arabic_share < MIN_ARABIC_RATIO:
        return (
            f"not_arabic: only {profile.arabic_share:.0%} of {profile.letters} letters are Arabic "
            f"(need at least {MIN_ARABIC_RATIO:.0%})"
        )
    return None


# ---------------------------------------------------------------- sidecar


_SIDECAR_CASES = (".META.JSON", ".Meta.json", ".Meta.Json", ".meta.JSON", ".META.json")


def read_sidecar_file(path: Path) -> tuple[Sidecar | None, list[str]]:
    """``read_sidecar`` for a sidecar path found by another spelling of its suffix."""
    try:
        st = path.stat()
    except OSError as exc:
        return None, [f"sidecar_invalid: cannot stat {path.name} ({exc.strerror or exc})"]
    return _read_sidecar_at(path, st)


def read_sidecar(article_path: Path | str) -> tuple[Sidecar | None, list[str]]:
    """Parse ``NAME.meta.json`` beside the article. Missing -> (None, []). Problems never raise: bad keys (or the
    whole sidecar) are dropped and described in warnings ``"sidecar_invalid: ..."``."""
    path = sidecar_path(article_path)
    try:
        st = path.stat()
    except FileNotFoundError:
        for suffix in _SIDECAR_CASES:  # NAME.META.JSON and friends: a sidecar whatever its case
            other = path.with_name(path.name[: -len(SIDECAR_SUFFIX)] + suffix)
            if other.exists():
                return read_sidecar_file(other)
        return None, []
    except OSError as exc:
        return None, [f"sidecar_invalid: cannot stat {path.name} ({exc.strerror or exc})"]
    return _read_sidecar_at(path, st)


def _read_sidecar_at(path: Path, st: os.stat_result) -> tuple[Sidecar | None, list[str]]:
    if not stat.S_ISREG(st.st_mode):
        return None, [f"sidecar_invalid: {path.name} is not a regular file"]
    if st.st_size > SIDECAR_MAX_BYTES:
        return None, [f"sidecar_invalid: {path.name} is {st.st_size} bytes, over the {SIDECAR_MAX_BYTES}-byte limit; ignored"]
    try:
        with path.open("rb") as handle:
            data = handle.read(SIDECAR_MAX_BYTES + 1)
    except OSError as exc:
        return None, [f"sidecar_invalid: cannot read {path.name} ({exc.strerror or exc})"]
    if len(data) > SIDECAR_MAX_BYTES:
        return None, [f"sidecar_invalid: {path.name} is over the {SIDECAR_MAX_BYTES}-byte limit; ignored"]
    return parse_sidecar(data)


_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?")
FUTURE_SLACK_DAYS = 2  # time zones and clocks: a date this far past today (UTC) is still accepted


def sidecar_date(value: str, today: date | None = None) -> tuple[str | None, str | None]:
    """(ISO date or the ISO datetime as given, warning) for a sidecar ``published_at``.

    ISO dates and datetimes pass as written. Other common forms are read and turned into ``YYYY-MM-DD``:
    ``2024-3-5``, day-first ``15/03/2024`` (also with ``-`` or ``.``), RFC 2822 (``Fri, 15 Mar 2024 10:00:00
    GMT``) and a written date (``15 مارس 2024``, ``15 March 2024``). A value that is none of these, or a date
    more than a couple of days in the future, is dropped with a ``sidecar_invalid`` warning."""
    from extractors.mentions.dates import find_dates
    from extractors.mentions.pubdate import parse_iso_date

    today = today or datetime.now(UTC).date()
    parsed: date | None = None
    iso = parse_iso_date(value)  # what the contract names: kept as written
    if iso is not None:
        parsed, keep = iso, value
    else:
        keep = None
        with contextlib.suppress(ValueError):
            if m := _YMD.fullmatch(value):
                parsed = date(int(m[1]), int(m[2]), int(m[3]))
            elif m := _DMY.fullmatch(value):
                parsed = date(int(m[3]), int(m[2]), int(m[1]))
        if parsed is None:
            with contextlib.suppress(TypeError, ValueError, IndexError):
                parsed = email.utils.parsedate_to_datetime(value).date()
        if parsed is None and len(value) <= 64:
            found = [d for d in find_dates(value, None) if d.kind == "absolute" and d.granularity == "day" and d.value]
            if len(found) == 1 and len(found[0].text) >= len(value.strip()) - 12:
                parsed = found[0].value
    if parsed is None:
        return None, f"sidecar_invalid: published_at {value[:60]!r} is not a date (use YYYY-MM-DD); ignored"
    if parsed > today + timedelta(days=FUTURE_SLACK_DAYS):
        return None, f"sidecar_invalid: published_at {value[:60]!r} is in the future; ignored"
    return keep or parsed.isoformat(), None


def parse_sidecar(data: bytes) -> tuple[Sidecar | None, list[str]]:
    """Parse sidecar bytes (UTF-8, optional BOM, or UTF-16 with BOM) into a ``Sidecar`` plus warnings."""
    try:
        codec = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
        raw = json.loads(data.decode(codec))
    except UnicodeDecodeError as exc:
        return None, [f"sidecar_invalid: not UTF-8 text ({exc.reason} at offset {exc.start}); ignored"]
    except (ValueError, RecursionError) as exc:
        return None, [f"sidecar_invalid: malformed JSON ({exc}); ignored"]
    if not isinstance(raw, dict):
        return None, [f"sidecar_invalid: top-level JSON is {type(raw).__name__}, expected object; ignored"]
    values: dict[str, str | None] = {}
    warnings: list[str] = []
    for key in SIDECAR_KEYS:
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            warnings.append(f"sidecar_invalid: {key} is {type(value).__name__}, expected string")
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            warnings.append(f"sidecar_invalid: {key} contains a lone surrogate")
            continue
        value = safe_nfc(value).strip()
        if key == "published_at" and value:
            value, problem = sidecar_date(value)
            if problem:
                warnings.append(problem)
        values[key] = value or None
    return Sidecar(**values), warnings


# ---------------------------------------------------------------- files


def _read_at_most(path: Path, expected: int, max_bytes: int) -> bytes:
    """The file's bytes, reading at most ``max_bytes + 1`` (sized from stat() so no 5 MB buffer is allocated)."""
    with open(path, "rb", buffering=0) as handle:
        data = handle.read(min(expected, max_bytes) + 1)
        if len(data) > expected:  # the file grew since stat(): read on, still bounded
            data += handle.read(max_bytes + 1 - len(data)) or b""
    return data


def read_article_file(path: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ReadResult:
    """Read, decode and vet one article file; never raises for a bad input file (see module doc)."""
    path = Path(path)
    result = ReadResult(
        path=path, file_name=path.name, size_bytes=0, mtime_ns=0, sha256=None,
        status="quarantined", reason=None, text=None, encoding=None, sidecar=None,
    )
    result.sidecar, result.warnings = read_sidecar(path)
    try:
        st = path.stat()
    except OSError as exc:
        result.reason = f"unreadable: cannot stat the file ({exc.strerror or exc})"
        return result
    result.size_bytes, result.mtime_ns = st.st_size, st.st_mtime_ns
    if not stat.S_ISREG(st.st_mode):
        result.reason = "unreadable: not a regular file"
        return result
    if st.st_size > max_bytes:  # decided from stat(): the file is never opened
        result.reason = f"too_large: {st.st_size} bytes, over the limit of {max_bytes} bytes"
        return result
    try:
        data = _read_at_most(path, st.st_size, max_bytes)
    except OSError as exc:
        result.reason = f"unreadable: {exc.strerror or exc}"
        return result
    if len(data) > max_bytes:  # grew after stat()
        result.reason = f"too_large: more than {max_bytes} bytes (the file grew while being read)"
        return result
    result.size_bytes = len(data)
    result.sha256 = hashlib.sha256(data).hexdigest()
    try:
        text, encoding, profile = _decode_checked(data)
    except DecodeProblem as problem:
        result.reason = problem.reason
        return result
    result.encoding = encoding
    reason = content_problem(text, profile)
    if reason:
        result.reason = reason
        return result
    result.status, result.text = "ok", text
    return result
