"""Reading article files: encodings, line endings, quarantine reasons, sidecars, content ids."""

from __future__ import annotations

import builtins
import io
import json
import os
import timeit
import unicodedata
from pathlib import Path

import pytest

from extractors.ingest import reading
from extractors.ingest.reading import (
    QUARANTINE_CODES,
    DecodeProblem,
    Sidecar,
    content_article_id,
    decode_bytes,
    is_sidecar,
    read_article_file,
    sidecar_path,
)
from extractors.text.textnorm import arabic_ratio

# A paragraph composed for these tests; every character exists in Windows-1256.
ARTICLE = (
    "الجيش يتسلم دفعة جديدة من العربات المدرعة\n"
    "\n"
    "أعلنت وزارة الدفاع في بيان رسمي يوم الثلاثاء أن الجيش تسلم دفعة جديدة من العربات المدرعة "
    "ضمن صفقة وقعت العام الماضي، وقال المتحدث باسم الوزارة إن «التسليم تم وفق الجدول المتفق عليه» "
    "مشيرا إلى أن 120 عربة أخرى ستصل قبل نهاية 2024.\n"
    "\n"
    "وأضاف أن فرق الصيانة تلقت تدريبا مكثفا على تشغيل المنظومات الجديدة، فيما لم تكشف الوزارة عن قيمة الصفقة.\n"
)

ENCODED = {
    "utf-8": ARTICLE.encode("utf-8"),
    "utf-8-sig": b"\xef\xbb\xbf" + ARTICLE.encode("utf-8"),
    "utf-16-le": b"\xff\xfe" + ARTICLE.encode("utf-16-le"),
    "utf-16-be": b"\xfe\xff" + ARTICLE.encode("utf-16-be"),
    "cp1256": ARTICLE.encode("cp1256"),
}


def write(tmp_path: Path, data: bytes, name: str = "article.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def code_of(reason: str | None) -> str | None:
    return reason.split(":", 1)[0] if reason else None


# ---------------------------------------------------------------- encodings and normalisation


@pytest.mark.parametrize("encoding", sorted(ENCODED))
def test_every_encoding_gives_the_same_text_and_article_id(tmp_path: Path, encoding: str) -> None:
    result = read_article_file(write(tmp_path, ENCODED[encoding]))
    assert result.status == "ok", result.reason
    assert result.encoding == encoding
    assert result.text == ARTICLE
    assert not result.text.startswith("\ufeff")
    assert content_article_id(result.text) == content_article_id(ARTICLE)
    assert result.sha256 is not None and len(result.sha256) == 64
    assert result.size_bytes == len(ENCODED[encoding])


def test_raw_sha256_differs_per_encoding_while_article_id_does_not(tmp_path: Path) -> None:
    results = [read_article_file(write(tmp_path, data, f"{enc}.txt")) for enc, data in ENCODED.items()]
    assert len({r.sha256 for r in results}) == len(ENCODED)
    assert len({content_article_id(r.text or "") for r in results}) == 1


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_recognised(tmp_path: Path, codec: str) -> None:
    result = read_article_file(write(tmp_path, ARTICLE.encode(codec)))
    assert (result.status, result.encoding, result.text) == ("ok", codec, ARTICLE)


@pytest.mark.parametrize("eol", ["\r\n", "\r"])
@pytest.mark.parametrize("encoding", ["utf-8", "cp1256", "utf-16-le"])
def test_crlf_and_cr_line_endings_become_lf(tmp_path: Path, eol: str, encoding: str) -> None:
    text = ARTICLE.replace("\n", eol)
    data = text.encode(encoding) if encoding != "utf-16-le" else b"\xff\xfe" + text.encode("utf-16-le")
    result = read_article_file(write(tmp_path, data))
    assert result.status == "ok"
    assert "\r" not in (result.text or "")
    assert result.text == ARTICLE
    assert content_article_id(result.text) == content_article_id(ARTICLE)


def test_text_is_nfc(tmp_path: Path) -> None:
    decomposed = ARTICLE.replace("أ", "\u0627\u0654")  # alef + combining hamza above
    assert decomposed != ARTICLE and unicodedata.normalize("NFC", decomposed) == ARTICLE
    result = read_article_file(write(tmp_path, decomposed.encode("utf-8")))
    assert result.text == ARTICLE


def test_valid_utf8_is_preferred_to_cp1256() -> None:
    text, encoding = decode_bytes(ARTICLE.encode("utf-8"))
    assert (text, encoding) == (ARTICLE, "utf-8")


def test_injection_looking_text_is_returned_unchanged(tmp_path: Path) -> None:
    hostile = (
        "قال مسؤول عسكري إن الشحنة وصلت إلى الميناء صباح اليوم بعد تأخير طويل.\n"
        "'; DROP TABLE fct_transfers; --\n"
        "{{ env_var('DBT_PASSWORD') }} {% raw %}{{ x }}{% endraw %}\n"
        "$(rm -rf /) `id` && echo $HOME > /tmp/x; \\n \\x00 %s %(name)s\n"
        "وأضاف أن التحقيق ما زال جاريا لمعرفة الجهة التي أرسلت المعدات.\n"
    )
    result = read_article_file(write(tmp_path, hostile.encode("utf-8")))
    assert result.status == "ok", result.reason
    assert result.text == hostile


# ---------------------------------------------------------------- content id


def test_article_id_ignores_layout_noise_but_not_content() -> None:
    noisy = "\n\n  " + ARTICLE.replace("\n", "   \r\n").replace("\r\n   \r\n", "\r\n\r\n\r\n\r\n") + "\n\n\t\n"
    noisy = "\ufeff" + noisy.lstrip("\n ")
    assert content_article_id(noisy) == content_article_id(ARTICLE)
    article_id = content_article_id(ARTICLE)
    assert len(article_id) == 16 and int(article_id, 16) >= 0
    assert content_article_id(ARTICLE.replace("120", "130")) != article_id
    assert content_article_id(ARTICLE.replace("\n\n", "\n")) != article_id  # paragraph structure is content


# ---------------------------------------------------------------- quarantine


def test_quarantine_codes_are_the_documented_ones() -> None:
    assert set(QUARANTINE_CODES) == {
        "empty", "whitespace_only", "binary", "undecodable", "truncated", "not_arabic", "too_large", "unreadable",
    }


QUARANTINE_CASES = {
    "empty": b"",
    "whitespace_only": b" \r\n\t\n   \n",
    "whitespace_only_bom_and_marks": "\ufeff \u200f\n\u200b ".encode("utf-8"),
    "binary_png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64)),
    "binary_pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
    "binary_zip": b"PK\x03\x04\x14\x00\x06\x00" + bytes(40),
    "binary_nul": ARTICLE.encode("utf-8")[:200] + b"\x00\x01\x02\x03" * 20 + ARTICLE.encode("utf-8")[200:],
    "binary_controls": ("خبر " + "\x01\x02\x03\x04\x05" * 20 + " عاجل").encode("utf-8"),
    "undecodable_latin1": "Le ministre a annoncé une réunion à Genève près du lac, très tôt.".encode("latin-1"),
    "undecodable_damaged_utf8": ARTICLE.encode("utf-8")[:101] + b"\xff\xfe\xfd" + ARTICLE.encode("utf-8")[101:],
    "truncated_utf8": ARTICLE.rstrip("\n.").encode("utf-8")[:-1],
    "truncated_utf8_with_bom": b"\xef\xbb\xbf" + ARTICLE.rstrip("\n.").encode("utf-8")[:-1],
    "undecodable_utf8_with_bom": b"\xef\xbb\xbf" + ARTICLE.encode("utf-8")[:101] + b"\xff" + ARTICLE.encode("utf-8")[101:],
    "truncated_utf16": b"\xff\xfe" + ARTICLE.encode("utf-16-le")[:-1],
    "not_arabic": b"The defence ministry said on Tuesday that a new batch of armoured vehicles had arrived.",
    "not_arabic_mostly_latin": ("وزارة " + "The defence ministry confirmed the delivery of vehicles " * 3).encode("utf-8"),
    "not_arabic_no_letters": b"2024-05-01 12:00 | 120 / 300 = 0.4 %",
}


@pytest.mark.parametrize("case", sorted(QUARANTINE_CASES))
def test_each_quarantine_code_with_a_reason(tmp_path: Path, case: str) -> None:
    code = next(c for c in QUARANTINE_CODES if case == c or case.startswith(c + "_"))
    result = read_article_file(write(tmp_path, QUARANTINE_CASES[case]))
    assert result.status == "quarantined"
    assert code_of(result.reason) == code, result.reason
    assert result.reason_code == code
    detail = (result.reason or "").split(": ", 1)[1]
    assert len(detail) > 5
    assert result.text is None
    assert result.sha256 is not None  # the file was read, so the ledger gets its hash
    assert result.size_bytes == len(QUARANTINE_CASES[case])


def test_truncated_utf8_says_it_ends_inside_a_character(tmp_path: Path) -> None:
    data = "تسلم الجيش العربات".encode()[:-1]
    result = read_article_file(write(tmp_path, data))
    assert result.reason is not None and result.reason.startswith("truncated: ")
    assert "multi-byte character" in result.reason


def test_png_header_is_binary_and_named(tmp_path: Path) -> None:
    result = read_article_file(write(tmp_path, b"\x89PNG\r\n\x1a\n" + ARTICLE.encode()))
    assert result.reason == "binary: starts with the signature of a PNG image"


def test_latin_only_text_is_not_arabic(tmp_path: Path) -> None:
    result = read_article_file(write(tmp_path, b"Breaking news: talks between the two ministers ended without a deal."))
    assert result.reason_code == "not_arabic"
    assert "0%" in (result.reason or "")


def test_not_arabic_threshold_agrees_with_textnorm_arabic_ratio(tmp_path: Path) -> None:
    arabic_word, latin_word = "صفقة ", "deal "
    for arabic_words in range(0, 12):
        text = arabic_word * arabic_words + latin_word * 10 + "\U0001d400\U0001d401 🚀"  # astral letters count too
        result = read_article_file(write(tmp_path, text.encode("utf-8")))
        assert (result.status == "ok") == (arabic_ratio(text) >= 0.3), (arabic_words, result.reason)


def test_missing_file_and_directory_are_unreadable(tmp_path: Path) -> None:
    gone = read_article_file(tmp_path / "vanished.txt")
    assert gone.reason_code == "unreadable" and gone.sha256 is None
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert read_article_file(folder).reason_code == "unreadable"


def test_permission_error_is_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, ARTICLE.encode())

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(builtins, "open", refuse)
    result = read_article_file(path)
    assert result.status == "quarantined"
    assert result.reason == "unreadable: Permission denied"


def test_too_large_is_decided_from_stat_without_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.txt"
    with open(path, "wb") as handle:
        handle.truncate(6_000_000)  # sparse: no data written
    opened: list[object] = []

    def forbidden(*args: object, **kwargs: object) -> None:
        opened.append(args)
        raise AssertionError("the file must not be opened")

    for owner, name in [(builtins, "open"), (io, "open"), (os, "open"), (Path, "open"), (Path, "read_bytes")]:
        monkeypatch.setattr(owner, name, forbidden)
    result = read_article_file(path)
    assert opened == []
    assert result.status == "quarantined"
    assert result.reason == "too_large: 6000000 bytes, over the limit of 5000000 bytes"
    assert result.size_bytes == 6_000_000 and result.sha256 is None and result.text is None


def test_max_bytes_is_configurable_and_inclusive(tmp_path: Path) -> None:
    data = ARTICLE.encode("utf-8")
    path = write(tmp_path, data)
    assert read_article_file(path, max_bytes=len(data)).status == "ok"
    assert read_article_file(path, max_bytes=len(data) - 1).reason_code == "too_large"


def test_decode_bytes_raises_decode_problem_with_code() -> None:
    with pytest.raises(DecodeProblem) as caught:
        decode_bytes(b"\x1f\x8b\x08\x00" + bytes(30))
    assert caught.value.code == "binary" and "GZIP" in caught.value.detail
    assert str(caught.value).startswith("binary: ")


# ---------------------------------------------------------------- sidecars


def write_sidecar(tmp_path: Path, content: str | bytes) -> Path:
    article = write(tmp_path, ARTICLE.encode("utf-8"), "story.txt")
    raw = content.encode("utf-8") if isinstance(content, str) else content
    (tmp_path / "story.meta.json").write_bytes(raw)
    return article


def test_sidecar_paths() -> None:
    assert sidecar_path(Path("/in/a_1.txt")) == Path("/in/a_1.meta.json")
    assert is_sidecar(Path("/in/a_1.meta.json")) and is_sidecar("X.META.JSON")
    assert not is_sidecar(Path("/in/a_1.txt")) and not is_sidecar(Path("/in/meta.json.txt"))


def test_valid_sidecar_is_parsed(tmp_path: Path) -> None:
    meta = {"url": " https://example.org/2023/05/04/x ", "published_at": "2023-05-04T10:00:00Z",
            "source_name": "وكالة أنباء", "language": "ar", "extra": [1, 2]}
    result = read_article_file(write_sidecar(tmp_path, json.dumps(meta, ensure_ascii=False)))
    assert result.status == "ok"
    assert result.sidecar == Sidecar("https://example.org/2023/05/04/x", "2023-05-04T10:00:00Z", "وكالة أنباء", "ar")
    assert result.warnings == []


def test_sidecar_nulls_and_missing_keys_are_fine(tmp_path: Path) -> None:
    result = read_article_file(write_sidecar(tmp_path, '\ufeff{"published_at": "2022-01-02", "url": null}'))
    assert result.sidecar == Sidecar(published_at="2022-01-02")
    assert result.warnings == []


def test_no_sidecar_means_none_without_warning(tmp_path: Path) -> None:
    result = read_article_file(write(tmp_path, ARTICLE.encode()))
    assert result.sidecar is None and result.warnings == []


@pytest.mark.parametrize("content", ['{"published_at": "2023-01-01",', "not json at all", "{'url': 'x'}", "", "[" * 5000])
def test_malformed_sidecar_is_ignored_with_a_warning(tmp_path: Path, content: str) -> None:
    result = read_article_file(write_sidecar(tmp_path, content))
    assert result.status == "ok" and result.text == ARTICLE
    assert result.sidecar is None
    assert len(result.warnings) == 1 and result.warnings[0].startswith("sidecar_invalid: ")


@pytest.mark.parametrize("content, kind", [('["2023-01-01"]', "list"), ('"2023-01-01"', "str"), ("42", "int")])
def test_non_object_sidecar_is_ignored_with_a_warning(tmp_path: Path, content: str, kind: str) -> None:
    result = read_article_file(write_sidecar(tmp_path, content))
    assert result.status == "ok" and result.sidecar is None
    assert result.warnings == [f"sidecar_invalid: top-level JSON is {kind}, expected object; ignored"]


def test_wrongly_typed_sidecar_values_are_dropped_one_by_one(tmp_path: Path) -> None:
    content = '{"published_at": 20230101, "url": ["https://a.example"], "source_name": "مصدر", "language": true}'
    result = read_article_file(write_sidecar(tmp_path, content))
    assert result.status == "ok"
    assert result.sidecar == Sidecar(source_name="مصدر")
    assert result.warnings == [
        "sidecar_invalid: url is list, expected string",
        "sidecar_invalid: published_at is int, expected string",
        "sidecar_invalid: language is bool, expected string",
    ]


def test_oversized_sidecar_is_ignored_without_parsing(tmp_path: Path) -> None:
    content = json.dumps({"published_at": "2023-01-01", "padding": "x" * 70_000})
    result = read_article_file(write_sidecar(tmp_path, content))
    assert result.status == "ok" and result.sidecar is None
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("sidecar_invalid: story.meta.json is ") and "65536-byte limit" in result.warnings[0]


def test_non_utf8_sidecar_is_ignored_with_a_warning(tmp_path: Path) -> None:
    result = read_article_file(write_sidecar(tmp_path, '{"source_name": "مصدر"}'.encode("cp1256")))
    assert result.status == "ok" and result.sidecar is None
    assert result.warnings[0].startswith("sidecar_invalid: not UTF-8")


def test_sidecar_is_kept_for_quarantined_articles(tmp_path: Path) -> None:
    (tmp_path / "story.meta.json").write_text('{"url": "https://example.org/a"}', encoding="utf-8")
    result = read_article_file(write(tmp_path, b"", "story.txt"))
    assert result.reason_code == "empty"
    assert result.sidecar == Sidecar(url="https://example.org/a")


# ---------------------------------------------------------------- speed


def test_decoding_a_3kb_utf8_article_is_cheap() -> None:
    data = (ARTICLE * 8).encode("utf-8")[:3000].decode("utf-8", "ignore").encode("utf-8")
    decode_bytes(data)  # builds the lookup table once
    best = min(timeit.repeat(lambda: decode_bytes(data), number=200, repeat=5)) / 200
    assert best < 150e-6, f"decode_bytes took {best * 1e6:.0f} us for 3 KB"
    assert reading._profile(ARTICLE).arabic_share == pytest.approx(arabic_ratio(ARTICLE))
