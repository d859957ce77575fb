"""The send task's old name still sends: mail queued before core/ existed is not lost."""

from __future__ import annotations

import pytest

from core.mail import email_payload, render_mail


@pytest.mark.django_db(transaction=True)
def test_a_message_queued_under_the_old_task_name_is_still_sent(smtp_server, celery_worker):
    from config.celery import app

    message = render_mail(
        "comments/email/moderation_digest",
        to="moderator@example.org",
        context={"waiting": 1, "comments": [], "more": 0, "queue_url": "http://testserver/"},
    )
    app.send_task("accounts.tasks.send_email", args=[email_payload(message)])

    received = smtp_server.wait_for_message("moderator@example.org")
    assert received["Subject"] == message.subject
