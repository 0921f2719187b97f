"""The outbox on SQLite and PostgreSQL: slips emailed once, the outbox append-only, the books still check."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from mail_server import PASSWORD, USER, MailServer
from test_email import SENDER, slips_for
from test_postgres import books, db_url, raw_engine  # noqa: F401  (fixtures: a hall on each database)

from treasurer import audit_check
from treasurer.mail_settings import save_mail_settings
from treasurer.mailer import Mailer
from treasurer.outbox import Sending, deliver
from treasurer.slip_mail import slip_letters


def test_slips_go_out_once_and_the_outbox_cannot_be_rewritten(books, db_url, gateway, tmp_path,  # noqa: F811
                                                              monkeypatch):
    monkeypatch.setenv("TREASURER_TODAY", "2026-10-05")
    links = slips_for(books, gateway, 3)
    with MailServer(tmp_path) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
        settings = save_mail_settings(books, "127.0.0.1", server.port, "starttls", SENDER, USER, per_minute=0)
        for _ in range(2):
            outgoing, report = slip_letters(books, "2026-10")
            deliver(books, outgoing, Sending(Mailer(settings, PASSWORD), settings, None), report)
        assert sorted(r.rcpt_tos[0] for r in server.received) == [f"member{n}@example.com" for n in links]
    engine = raw_engine(db_url)
    try:
        for sql in ("UPDATE outbox SET step = 'retry'", "DELETE FROM outbox"):
            with pytest.raises(sa.exc.DBAPIError, match="outbox is never"), engine.begin() as conn:
                conn.exec_driver_sql(sql)
    finally:
        engine.dispose()
    assert audit_check.check_hall(books).ok
