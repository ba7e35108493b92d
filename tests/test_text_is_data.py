"""Article text that looks like SQL, Jinja or shell travels through the lake and dbt as plain data:
it is stored verbatim, nothing is executed or rendered, and the warehouse stays intact."""

from __future__ import annotations

import duckdb
import pytest

from extractors.ingest import runner
from extractors.ingest.config import Settings
from tests.test_runner import put

HOSTILE = """تقرير: '; DROP TABLE dim_articles; -- شحنة {{ env_var('HOME') }} $(rm -rf /) جديدة

قال المتحدث باسم وزارة الدفاع إن روسيا تسلمت مئات الطائرات المسيرة من إيران '); DELETE FROM fct_transfers; --.

وأضاف أن "{% raw %}{{ this }}{% endraw %} `rm -rf ~` لا تعني شيئا" بحسب البيان.
"""


@pytest.mark.slow
def test_sql_jinja_and_shell_in_articles_are_stored_verbatim(tmp_path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    put(inbox, "hostile.txt", HOSTILE)
    put(inbox, "plain.txt", "خبر عادي\n\nأرسلت كوريا الشمالية قذائف مدفعية إلى روسيا الشهر الماضي.\n")
    settings = Settings(inbox=inbox, data_dir=tmp_path / "data", workers=1, settle_seconds=0)
    runner.run(settings)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        titles = {r[0] for r in con.execute("select title from dim_articles").fetchall()}
        assert any("DROP TABLE dim_articles" in t and "{{ env_var('HOME') }}" in t and "$(rm -rf /)" in t
                   for t in titles)
        assert con.execute("select count(*) from dim_articles").fetchone()[0] == 2
        evidence = " ".join(r[0] for r in con.execute("select evidence_text from fct_transfers").fetchall())
        assert "DELETE FROM fct_transfers" in evidence
        quotes = " ".join(r[0] for r in con.execute("select quote_text from fct_statements").fetchall())
        assert "{% raw %}{{ this }}{% endraw %}" in quotes
    finally:
        con.close()
    assert (tmp_path / "inbox" / "hostile.txt").exists()
