"""Every kind of mail the site sends, through the code that sends it, checked by Python's
strict email parser and the Nu Html Checker.

One session-scoped fixture makes one message of each kind inside a transaction it rolls
back: account mail through allauth's views and our adapter, subscription mail through the
newsletter's pages, editions, alerts, digests and editors' notices through the services and
the beat's tasks, comment notices through posting and moderating. Celery runs its tasks in
this thread (task_always_eager), so no worker is needed; everything from the task on is the
real path, up to a real SMTP server (aiosmtpd), whose received bytes are what is checked.
Every mail template must have been rendered on the way (test_every_mail_template_is_covered).

Content written by people (an edition's intro, a comment) may link anywhere; the cases below
use content whose links are on the site, so that every absolute link checked is one our
templates and code built.
"""

from __future__ import annotations

import email
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from email import policy
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client, RequestFactory, TestCase, override_settings
from django.test.signals import template_rendered
from django.utils import timezone

from tests.conftest import RecordingHandler, free_port, raw_header
from tests.validation.conftest import JAVA, REQUIRE_VALIDATORS, VNU_JAR, _run_vnu

pytestmark = pytest.mark.django_db

SITE = "https://driverline.example"
PASSWORD = "correct horse battery staple"
LONG_TITLE = (
    "Zenocutuzumab’s approval: what the “National Priority Voucher” means for ultra-rare "
    "cancers — and for the people who live with NRG1 fusions"
)

# Each case: the template prefix it is sent from, and whether it is list mail (a newsletter
# edition to subscribers), which must carry List-Unsubscribe and List-Unsubscribe-Post.
KINDS: dict[str, tuple[str, bool]] = {
    "account-signup-confirmation": ("account/email/email_confirmation_signup", False),
    "account-already-exists": ("account/email/account_already_exists", False),
    "account-unknown": ("account/email/unknown_account", False),
    "account-password-reset-key": ("account/email/password_reset_key", False),
    "account-password-was-reset": ("account/email/password_reset", False),
    "account-password-changed": ("account/email/password_changed", False),
    "account-password-set": ("account/email/password_set", False),
    "account-email-confirmation": ("account/email/email_confirmation", False),
    "account-email-deleted": ("account/email/email_deleted", False),
    "account-email-changed": ("account/email/email_changed", False),
    "account-email-confirmed": ("account/email/email_confirm", False),
    "account-login-code": ("account/email/login_code", False),
    "account-password-reset-code": ("account/email/password_reset_code", False),
    "newsletter-confirm": ("newsletter/email/confirm", False),
    "newsletter-already": ("newsletter/email/already", False),
    "newsletter-edition": ("newsletter/email/edition", True),
    "newsletter-test-send": ("newsletter/email/edition", False),
    "newsletter-alert": ("newsletter/email/edition", True),
    "newsletter-digest": ("newsletter/email/edition", True),
    "newsletter-digest-corrections": ("newsletter/email/edition", True),
    "newsletter-digest-combinations": ("newsletter/email/edition", True),
    "newsletter-waiting": ("newsletter/email/waiting", False),
    "newsletter-attention": ("newsletter/email/attention", False),
    "comment-reply": ("comments/email/reply", False),
    "comment-article-comment": ("comments/email/article_comment", False),
    "comment-approved": ("comments/email/approved", False),
    "comment-moderation-digest": ("comments/email/moderation_digest", False),
    "review-submitted": ("articles/email/review", False),
    "review-changes-requested": ("articles/email/review", False),
    "review-approved": ("articles/email/review", False),
    "review-due": ("articles/email/review_due", False),
    "trial-change-editors": ("evidence/email/trial_change", False),
    "trial-follow-confirm": ("newsletter/email/trial_follow_confirm", False),
    "trial-follow-already": ("newsletter/email/trial_follow_already", False),
    "trial-change-followers": ("newsletter/email/trial_change", True),
    "finding-retraction": ("evidence/email/finding", False),
    "finding-dead-link": ("evidence/email/finding", False),
}
# Links off the site that our own templates build: the registry record a trial's mail names.
SOURCES = ("https://clinicaltrials.gov/study/", "https://doi.org/")


@dataclass
class Mailed:
    raw: dict[str, bytes] = field(default_factory=dict)  # case -> bytes as the server got them
    templates: dict[str, set[str]] = field(default_factory=dict)  # case -> templates rendered
    # case -> {path: status} for each link to the site, followed as soon as the mail left
    visited: dict[str, dict[str, int]] = field(default_factory=dict)
    vnu_errors: dict[str, list[dict]] = field(default_factory=dict)


class Mailbag:
    """Collects what each step of the fixture sends, by case and recipient."""

    def __init__(self, handler: RecordingHandler) -> None:
        self.handler = handler
        self.mailed = Mailed()
        self.rendered: list[str] = []

    @contextmanager
    def expect(self, **recipients: str):
        """Run the block, with its on-commit work (the queued mail) done at its end; then
        take exactly one new message to each recipient, filed under its case."""
        start, first_template = len(self.handler.envelopes), len(self.rendered)
        with TestCase.captureOnCommitCallbacks(execute=True):
            yield
        new = self.handler.envelopes[start:]
        templates = set(self.rendered[first_template:])
        for case, address in recipients.items():
            case = case.replace("_", "-")
            assert case in KINDS, case
            got = [e for e in new if address in e.rcpt_tos]
            assert len(got) == 1, f"{case}: {len(got)} message(s) to {address}"
            self.mailed.raw[case] = got[0].content
            self.mailed.templates[case] = templates
            self.mailed.visited[case] = self.visit(got[0].content)

    @staticmethod
    def visit(raw: bytes) -> dict[str, int]:
        """Each link's answer to a reader who follows it at once, signed out (GET changes
        nothing on our pages: mail scanners follow links too)."""
        message = email.message_from_bytes(raw, policy=policy.default)
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        absolute, _ = links(text, html)
        paths = {link.removeprefix(SITE) for link in absolute if link.startswith(f"{SITE}/")}
        return {path: Client().get(path).status_code for path in sorted(paths)}

    def text_of(self, case: str) -> str:
        message = email.message_from_bytes(self.mailed.raw[case], policy=policy.default)
        return message.get_body(preferencelist=("plain",)).get_content()


def _link(text: str, path: str) -> str:
    """The path of the first link in `text` to `path` on the site."""
    found = re.search(rf"{re.escape(SITE)}({re.escape(path)}\S*)", text)
    assert found, f"no link to {path} in:\n{text}"
    return found.group(1)


def _send_account_mail(bag: Mailbag) -> None:
    from allauth.account.adapter import get_adapter
    from allauth.core import context as allauth_context

    from tests.factories import ArticleFactory, UserFactory

    article = ArticleFactory(title=LONG_TITLE, published_at=timezone.now() - timedelta(days=9))
    UserFactory(email="taken@example.org", display_name="Amélie")
    anonymous = Client()
    with bag.expect(account_signup_confirmation="new@example.org"):
        anonymous.post(
            f"/accounts/signup/?next={article.get_absolute_url()}",
            {
                "email": "new@example.org",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "display_name": "Nadia K.",
            },
        )
    with bag.expect(account_already_exists="taken@example.org"):
        Client().post(
            "/accounts/signup/",
            {"email": "taken@example.org", "password1": PASSWORD, "password2": PASSWORD},
        )
    with bag.expect(account_unknown="nobody@example.org"):
        Client().post("/accounts/password/reset/", {"email": "nobody@example.org"})

    UserFactory(email="forgetful@example.org", display_name="Omar")
    resetting = Client()
    with bag.expect(account_password_reset_key="forgetful@example.org"):
        resetting.post("/accounts/password/reset/", {"email": "forgetful@example.org"})
    key_path = _link(bag.text_of("account-password-reset-key"), "/accounts/password/reset/key/")
    form_path = resetting.get(key_path)["Location"]  # allauth moves the key into the session
    with bag.expect(account_password_was_reset="forgetful@example.org"):
        response = resetting.post(
            form_path, {"password1": "a new long passphrase", "password2": "a new long passphrase"}
        )
        assert response.status_code == 302, response.content.decode()[:2000]

    reader = UserFactory(email="reader@example.org", display_name="Ines")
    signed_in = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Chromium/140")
    signed_in.force_login(reader)
    with bag.expect(account_password_changed="reader@example.org"):
        response = signed_in.post(
            "/accounts/password/change/",
            {
                "oldpassword": PASSWORD,
                "password1": "another long passphrase",
                "password2": "another long passphrase",
            },
        )
        assert response.status_code == 302

    passwordless = UserFactory(email="passwordless@example.org")
    passwordless.set_unusable_password()
    passwordless.save()
    setting = Client()
    setting.force_login(passwordless)
    with bag.expect(account_password_set="passwordless@example.org"):
        response = setting.post(
            "/accounts/password/set/",
            {"password1": "a first long passphrase", "password2": "a first long passphrase"},
        )
        assert response.status_code == 302

    # Changing the address: the new one is asked to confirm; cancelled, the old one hears of
    # it; done with a second address, the old one hears of the change.
    with bag.expect(account_email_confirmation="new-address@example.org"):
        signed_in.post("/accounts/email/", {"email": "new-address@example.org", "action_add": ""})
    with bag.expect(account_email_deleted="reader@example.org"):
        signed_in.post(
            "/accounts/email/", {"email": "new-address@example.org", "action_remove": ""}
        )
    with bag.expect(account_email_confirmation="second-address@example.org"):
        signed_in.post(
            "/accounts/email/", {"email": "second-address@example.org", "action_add": ""}
        )
    confirm_path = _link(bag.text_of("account-email-confirmation"), "/accounts/confirm-email/")
    with bag.expect(account_email_changed="reader@example.org"):
        response = signed_in.post(confirm_path)
        assert response.status_code == 302

    # Templates allauth has but this site does not reach with its settings (email_confirm has
    # no sender in allauth 65; login and password-reset codes are switched off), sent the way
    # allauth's flows would send them, through our adapter: they must be right if turned on.
    request = RequestFactory(HTTP_USER_AGENT="Mozilla/5.0 Chromium/140").get("/accounts/")
    request.user = reader
    with allauth_context.request_context(request):
        adapter = get_adapter(request)
        with bag.expect(account_email_confirmed="second-address@example.org"):
            adapter.send_notification_mail(
                "account/email/email_confirm", reader, email="second-address@example.org"
            )
        with bag.expect(account_login_code="second-address@example.org"):
            adapter.send_mail(
                "account/email/login_code",
                "second-address@example.org",
                {"request": request, "code": adapter.generate_login_code()},
            )
        with bag.expect(account_password_reset_code="second-address@example.org"):
            adapter.send_mail(
                "account/email/password_reset_code",
                "second-address@example.org",
                {"request": request, "code": adapter.generate_password_reset_code()},
            )


def _send_newsletter_mail(bag: Mailbag, handler: RecordingHandler) -> None:
    from articles.models import Article, ArticleChange, ArticleRevision
    from articles.revisions import article_revision_save
    from newsletter import services, tasks
    from newsletter.models import Edition, Subscriber
    from tests.factories import ArticleFactory, TopicFactory, UserFactory

    topic = TopicFactory(name="NRG1 fusions", slug="nrg1-fusions")
    older = timezone.now() - timedelta(days=30)
    featured = ArticleFactory(
        title=LONG_TITLE,
        standfirst="The first drug for NRG1-positive cholangiocarcinoma — “a small cohort”.",
        published_at=older,
        topics=[topic],
    )
    editor = UserFactory(email="editor@example.org", is_staff=True, is_superuser=True)

    with bag.expect(newsletter_confirm="new-reader@example.org"):
        Client().post(
            "/newsletter/",
            {
                "email": "new-reader@example.org",
                "frequency": "weekly",
                "topics": [topic.pk],
                "source": "article",
                "next": featured.get_absolute_url(),
            },
        )
    Subscriber.objects.create(email="weekly@example.org", status="active", frequency="weekly")
    Subscriber.objects.create(email="each@example.org", status="active", frequency="each")
    with bag.expect(newsletter_already="weekly@example.org"):
        Client().post("/newsletter/", {"email": "weekly@example.org", "frequency": "weekly"})

    edition = Edition.objects.create(
        subject=LONG_TITLE,
        preheader="What the voucher means, and what comes next.",
        intro=(
            "## What changed this week\n\nThe **FDA** approved *zenocutuzumab*; "
            f"[our explainer]({SITE}{featured.get_absolute_url()}) has the details.\n\n"
            "- one trial\n- one label & one voucher"
        ),
    )
    edition.featured.add(featured)
    with bag.expect(newsletter_test_send="editor@example.org"):
        services.edition_send_test(edition=edition, to="editor@example.org")
    with bag.expect(newsletter_edition="weekly@example.org"):
        services.edition_send(edition=edition)
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SENT

    fresh = ArticleFactory(
        title="Fresh: a new NTRK result", published_at=timezone.now(), topics=[topic]
    )
    with bag.expect(newsletter_alert="each@example.org"):
        tasks.send_new_article_alerts.delay()

    today = timezone.localdate()
    last_wednesday = today - timedelta(days=today.weekday() + 5)
    ArticleFactory(
        title="Last week: HER2 in biliary cancers",
        published_at=timezone.make_aware(datetime.combine(last_wednesday, time(9))),
        topics=[topic],
    )
    # A correction to the alert's article, dated last week: the alert's reader gets the digest
    # for it alone (the weekly reader gets the week's article and no correction).
    ArticleChange.objects.create(
        article=fresh,
        revision=article_revision_save(
            article=fresh, by=None, note="Published", kind=ArticleRevision.Kind.PUBLICATION
        ),
        kind=ArticleChange.Kind.CORRECTION,
        note="The response rate was **57%**, not 75% ([the label](" + SITE + "/)).",
        published_at=timezone.make_aware(datetime.combine(last_wednesday, time(15))),
    )
    from newsletter.models import Interest

    grouped = Subscriber.objects.create(email="grouped@example.org", status="active")
    Interest.objects.create(subscriber=grouped, biomarker=topic)  # "NRG1 fusions in any cancer"
    with bag.expect(
        newsletter_digest="weekly@example.org",
        newsletter_digest_corrections="each@example.org",
        newsletter_digest_combinations="grouped@example.org",
    ):
        tasks.send_weekly_digest.delay()

    draft = ArticleFactory(title="Not yet public", status=Article.Status.DRAFT, published_at=None)
    waiting = Edition.objects.create(
        subject="Waits for a draft",
        status=Edition.Status.SCHEDULED,
        scheduled_at=timezone.now() - timedelta(minutes=1),
    )
    waiting.featured.add(draft)
    with bag.expect(newsletter_waiting="editor@example.org"):
        tasks.send_scheduled_editions.delay()

    # The server refuses our newsletter sender: the edition stops and the editors are told.
    refused = Edition.objects.create(subject="Refused by the server", intro="Hello")
    refused.featured.add(featured)
    handler.refuse_data = "554 5.7.1 Sender address rejected: not verified"
    handler.refuse_data_from = "newsletter@localhost"
    try:
        with bag.expect(newsletter_attention="editor@example.org"):
            services.edition_send(edition=refused)
    finally:
        handler.refuse_data = handler.refuse_data_from = ""
    assert Edition.objects.get(pk=refused.pk).status == Edition.Status.ATTENTION
    assert editor.pk


def _send_comment_mail(bag: Mailbag) -> None:
    from comments import tasks
    from comments.models import Comment
    from comments.moderation import comment_moderate
    from tests.factories import ArticleFactory, CommentFactory, ModeratorFactory, UserFactory

    writer = UserFactory(email="writer@example.org", display_name="Dr Amélie Roux", is_staff=True)
    article = ArticleFactory(
        title=LONG_TITLE, author=writer, published_at=timezone.now() - timedelta(days=8)
    )
    parent = CommentFactory(
        article=article,
        author=UserFactory(email="parent@example.org", display_name="Ines"),
        body="Single-arm data can still be *persuasive*.",
    )
    replier = UserFactory(email="replier@example.org", display_name="O’Brien", role="clinician")
    CommentFactory.create_batch(2, author=replier)  # trusted: the reply is published at once
    replying = Client()
    replying.force_login(replier)
    with bag.expect(comment_reply="parent@example.org", comment_article_comment=writer.email):
        response = replying.post(
            f"/articles/{article.slug}/comments/",
            {"body": "Persuasive, yes — but we need the **confirmatory** data & soon.",
             "parent": parent.pk},
        )  # fmt: skip
        assert response.status_code == 302, response.content.decode()[:2000]

    newcomer = UserFactory(email="newcomer@example.org", display_name="Kofi", role="patient")
    posting = Client()
    posting.force_login(newcomer)
    posting.post(f"/articles/{article.slug}/comments/", {"body": "My first comment here."})
    waiting = Comment.objects.get(author=newcomer)
    assert waiting.status == Comment.Status.PENDING
    moderator = ModeratorFactory(email="moderator@example.org", display_name="Mo")
    with bag.expect(comment_approved="newcomer@example.org"):
        comment_moderate(comments=[waiting], moderator=moderator, action="approve")

    CommentFactory(article=article, status=Comment.Status.PENDING, body="Is this advice?")
    with bag.expect(comment_moderation_digest="moderator@example.org"):
        tasks.send_moderation_digest.delay()


def _send_review_mail(bag: Mailbag) -> None:
    from django.contrib.auth.models import Permission

    from articles import review
    from articles.models import Article, ReviewStep
    from articles.revisions import article_revision_save
    from tests.factories import ArticleFactory, UserFactory

    writer = UserFactory(email="clinical.writer@example.org", display_name="Dr Amélie Roux")
    writer.user_permissions.add(Permission.objects.get(codename="change_article"))
    reviewer = UserFactory(email="clinical.reviewer@example.org", display_name="Dr O’Brien")
    reviewer.user_permissions.add(Permission.objects.get(codename="review_article"))
    article = ArticleFactory(title=LONG_TITLE, status=Article.Status.DRAFT, published_at=None)
    revision = article_revision_save(article=article, by=writer, note="Written")
    Action = ReviewStep.Action

    def take(action: str, by, note: str = "") -> None:
        review.article_review_step(
            article=article, revision=revision, by=by, action=action, note=note
        )

    with bag.expect(review_submitted=reviewer.email):
        take(Action.SUBMITTED, writer, "Dose & schedule checked — see the label.")
    with bag.expect(review_changes_requested=writer.email):
        take(Action.CHANGES_REQUESTED, reviewer, "Give the response rate <and> its n.")
    take(Action.SUBMITTED, writer)
    with bag.expect(review_approved=writer.email):
        take(Action.APPROVED, reviewer)
    from datetime import date

    from articles import review_due

    ArticleFactory(title=f"{LONG_TITLE}, due again", next_review=date(2026, 1, 5))
    with bag.expect(review_due=reviewer.email):
        review_due.review_due_mail_send()


def _send_trial_mail(bag: Mailbag) -> None:
    from evidence import tasks
    from evidence.models import Trial, TrialChange
    from newsletter import tasks as newsletter_tasks
    from tests.factories import ArticleFactory, UserFactory

    trial = Trial.objects.create(
        nct_id="NCT09000001",
        title="A Study of Drug A in Solid Tumours With an NRG1 Fusion — “eNRGy-like”",
        overall_status="RECRUITING",
        as_of=timezone.now() - timedelta(days=1),
    )
    writer = UserFactory(email="trial.writer@example.org", display_name="Dr Amélie Roux")
    article = ArticleFactory(
        title=LONG_TITLE, body="The trial NCT09000001 & its cohort.", author=writer
    )
    follower = Client()
    with bag.expect(trial_follow_confirm="follower@example.org"):
        follower.post(
            "/newsletter/trials/NCT09000001/follow/",
            {"email": "follower@example.org", "next": article.get_absolute_url()},
        )
    confirm_path = _link(bag.text_of("trial-follow-confirm"), "/newsletter/trials/confirm/")
    assert follower.post(confirm_path).status_code == 200
    with bag.expect(trial_follow_already="follower@example.org"):
        Client().post("/newsletter/trials/NCT09000001/follow/", {"email": "follower@example.org"})

    change = TrialChange.objects.create(
        trial=trial, kind="status", old_status="RECRUITING", new_status="ACTIVE_NOT_RECRUITING",
        registry_date=timezone.localdate(), key="status:ACTIVE_NOT_RECRUITING",
    )  # fmt: skip
    Trial.objects.filter(pk=trial.pk).update(overall_status="ACTIVE_NOT_RECRUITING")
    with bag.expect(trial_change_editors=writer.email):
        tasks.notify_trial_change_editors.delay(change.pk)
    with bag.expect(trial_change_followers="follower@example.org"):
        newsletter_tasks.send_trial_change_mail.delay()

    from evidence import citations
    from tests.factories import ReferenceFactory

    reference = ReferenceFactory(article=article, kind="doi", identifier="10.5555/a&b", url="")
    for case, kind, notice in (
        ("finding_retraction", "retraction", "10.5555/notice-1"),
        ("finding_dead_link", "dead_link", "404"),
    ):
        with bag.expect(**{case: writer.email}):
            finding = citations.finding_record(
                reference, kind=kind, target=reference.identifier, notice=notice, on=None
            )
            citations.finding_mail_send(finding_id=finding.pk)


def _send_every_kind(handler: RecordingHandler) -> Mailed:
    bag = Mailbag(handler)

    def record(sender, template, context, **kwargs):
        bag.rendered.append(template.name)

    template_rendered.connect(record)
    try:
        _send_account_mail(bag)
        _send_newsletter_mail(bag, handler)
        _send_comment_mail(bag)
        _send_review_mail(bag)
        _send_trial_mail(bag)
    finally:
        template_rendered.disconnect(record)
    return bag.mailed


@pytest.fixture(scope="session")
def mailed(django_db_setup, django_db_blocker, tmp_path_factory) -> Mailed:
    from aiosmtpd.controller import Controller

    from config.celery import app

    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    eager = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        with (
            django_db_blocker.unblock(),
            override_settings(
                SITE_URL=SITE,
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=controller.port,
                EMAIL_HOST_USER="",
                EMAIL_HOST_PASSWORD="",
                EMAIL_USE_TLS=False,
                EMAIL_USE_SSL=False,
                NEWSLETTER_RATE_PER_SECOND=0,
            ),
            transaction.atomic(),
        ):
            cache.clear()  # rate limits
            result = _send_every_kind(handler)
            transaction.set_rollback(True)
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = eager
        controller.stop()
        cache.clear()
    if JAVA and VNU_JAR:
        folder = tmp_path_factory.mktemp("validated-mail")
        for case, raw in result.raw.items():
            html = email.message_from_bytes(raw, policy=policy.default).get_body(("html",))
            if html is not None:
                (folder / f"{case}.html").write_text(html.get_content(), encoding="utf-8")
        result.vnu_errors = _run_vnu(folder)
    return result


# --- The checks ---------------------------------------------------------------------------
def parsed(mailed: Mailed, case: str) -> email.message.EmailMessage:
    """Parsed strictly: a defect in the structure raises here."""
    return email.message_from_bytes(mailed.raw[case], policy=policy.strict)


def links(text: str, html: str) -> tuple[list[str], list[str]]:
    """Absolute links anywhere in either part, and the targets of the HTML's attributes."""
    absolute = re.findall(r"https?://[^\s<>\"'()\[\]]+", text + "\n" + html)
    attributes = re.findall(r"\b(?:href|src|action)=\"([^\"]*)\"", html)
    return [unescape(link) for link in absolute], [unescape(a) for a in attributes]


@pytest.fixture(params=list(KINDS))
def case(request) -> str:
    return request.param


def test_every_mail_parses_strictly_without_defects(mailed, case):
    message = parsed(mailed, case)
    for part in message.walk():
        assert not part.defects, (case, part.get_content_type(), part.defects)
        for name, value in part.items():
            assert not getattr(value, "defects", ()), (case, name, value.defects)
        assert part.get_content_charset() in (None, "utf-8"), (case, part.get_content_charset())


def test_every_mail_has_a_dated_subject_on_its_first_line(mailed, case):
    message = parsed(mailed, case)
    date = message["Date"]
    assert date.datetime.tzinfo is not None, (case, str(date))  # -0000 means "zone unknown"
    assert re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}", str(date))
    subject = raw_header(mailed.raw[case], "Subject")
    assert subject[0].removeprefix("Subject:").strip(), (case, subject)
    assert message["Subject"].strip(), case
    assert "\n" not in message["Subject"], case
    for name in ("Message-ID", "From", "To"):
        assert message[name], (case, name)


def test_every_mail_has_a_plain_and_an_html_part_with_nothing_left_unrendered(mailed, case):
    message = parsed(mailed, case)
    assert message.get_content_type() == "multipart/alternative", case
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None, f"{case}: no text/plain part"
    assert html is not None, f"{case}: no text/html part"
    text, html = text.get_content(), html.get_content()
    assert html.lstrip().lower().startswith("<!doctype html>"), case
    for part in (message["Subject"], text, html):
        for leftover in ("{{", "{%", "__DRIVERLINE_"):  # template syntax, per-reader stand-ins
            assert leftover not in part, (case, leftover)
    # Escaping belongs to HTML: a plain part or a subject must never show an entity.
    for part in (message["Subject"], text):
        assert not re.search(r"&(?:[a-z]+|#x?[0-9a-f]+);", part, re.I), (case, part)
    assert re.search(r"<body [^>]*style=", html), f"{case}: the stylesheet was not inlined"


def test_every_absolute_link_in_mail_is_on_site_url(mailed, case):
    message = parsed(mailed, case)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    absolute, attributes = links(text, html)
    assert absolute, f"{case}: no link back to the site"
    off_site = [link for link in absolute if not link.startswith((f"{SITE}/", *SOURCES))]
    assert not off_site, (case, off_site)
    # A relative link means nothing in a mail client; only the editor's test copy has inert
    # "#" stand-ins for the reader's own links.
    inert = {"#"} if case == "newsletter-test-send" else set()
    relative = [
        a
        for a in attributes
        if not a.startswith((f"{SITE}/", "mailto:", *SOURCES)) and a not in inert
    ]
    assert not relative, (case, relative)


def test_every_link_in_mail_leads_to_a_page_the_moment_it_is_sent(mailed, case):
    broken = {path: status for path, status in mailed.visited[case].items() if status >= 400}
    assert not broken, (case, broken)


def test_newsletter_mail_offers_one_click_unsubscribe_and_other_mail_does_not(mailed, case):
    message = parsed(mailed, case)
    _, list_mail = KINDS[case]
    if not list_mail:
        assert message["List-Unsubscribe"] is None, case
        return
    # Too long for one line, the header is folded after its name: legal (RFC 5322 FWS), and
    # unfolded it is the bracketed URL with leading white space, which RFC 2369 allows.
    unsubscribe = str(message["List-Unsubscribe"]).strip()
    # A trial follower's unsubscribe stops that one follow.
    assert re.fullmatch(
        rf"<{re.escape(SITE)}/newsletter/(?:unsubscribe|trials/unfollow)/[^>\s]+/>", unsubscribe
    )
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'href="{unsubscribe.strip("<>")}"' in html, "the header and the footer link differ"


# What the checker calls an error and mail needs: Outlook's Word engine ignores display:none,
# and its own mso-hide:all is the only way to keep a preheader out of the message it shows.
LEGITIMATE_IN_MAIL = {"CSS: “mso-hide”: Property “mso-hide” doesn't exist."}


def test_every_mail_has_no_html_errors(mailed, case):
    if not (JAVA and VNU_JAR):
        if REQUIRE_VALIDATORS:
            pytest.fail("the Nu Html Checker is missing: run `make validators`")
        pytest.skip("the Nu Html Checker is not installed (make validators)")
    errors = [
        e for e in mailed.vnu_errors.get(case, []) if e.get("message") not in LEGITIMATE_IN_MAIL
    ]
    described = "\n".join(
        f"  line {e.get('lastLine')}: {e.get('message')} [{e.get('extract', '').strip()[:120]}]"
        for e in errors
    )
    assert not errors, f"{len(errors)} HTML error(s) in {case}:\n{described}"


def _mail_templates() -> set[str]:
    """Every template of ours in an email/ folder, by its name for the loader."""
    folders = [Path(d) for d in django_settings.TEMPLATES[0]["DIRS"]]
    root = Path(django_settings.BASE_DIR)
    folders += [p for p in root.glob("*/templates") if ".venv" not in p.parts]
    names = set()
    for folder in folders:
        for path in folder.rglob("*"):
            name = path.relative_to(folder)
            if path.suffix in (".txt", ".html") and "email" in name.parts[:-1]:
                names.add(name.as_posix())
    return names


def test_every_mail_template_is_covered_by_a_validated_case(mailed):
    templates = _mail_templates()
    assert len(templates) > 40, templates  # the search found them
    rendered = set().union(*mailed.templates.values())
    missing = sorted(templates - rendered)
    assert not missing, f"mail templates no case above sends (add one to KINDS): {missing}"
    for case, (prefix, _) in KINDS.items():
        assert f"{prefix}_message.html" in mailed.templates[case], case
        assert f"{prefix}_message.txt" in mailed.templates[case], case


def test_the_alerts_reader_gets_the_correction_and_the_weekly_reader_does_not(mailed):
    def text(case: str) -> str:
        message = parsed(mailed, case)
        return message.get_body(preferencelist=("plain",)).get_content()

    corrected = text("newsletter-digest-corrections")
    assert "The response rate was 57%, not 75%" in corrected
    assert "Fresh: a new NTRK result" in corrected
    assert "HER2 in biliary cancers" not in corrected  # they had the week's article as an alert
    assert "57%" not in text("newsletter-digest")
    assert parsed(mailed, "newsletter-digest-corrections")["Subject"] == (
        "Driverline: a correction to an article we sent you"
    )
