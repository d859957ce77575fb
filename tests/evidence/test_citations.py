"""Cited papers and links checked weekly (#17, point 3): DOIs against Crossref (recorded
answers from its REST API, from a local server) for retractions, corrections and expressions of
concern; web references for dead links, following redirects, retrying timeouts before anything
is flagged. A finding is recorded once, mailed to the editors once, shown in the admin; a
retraction puts the article on the review-due list at once; the article's text is untouched."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings

from articles.models import Article, Reference
from articles.review_due import reviews_due
from config.celery import app
from evidence import citations, crossref, tasks
from evidence.models import Finding, FindingMail, ReferenceCheck
from tests.factories import ArticleFactory, ModeratorFactory, ReferenceFactory, UserFactory

pytestmark = pytest.mark.django_db

RECORDED = Path(__file__).parent / "recorded" / "crossref"
NOW = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)


def answer(name: str) -> tuple[int, bytes, dict]:
    return 200, (RECORDED / f"{name}.json").read_bytes(), {}


def doi_reference(article, doi: str) -> Reference:
    return ReferenceFactory(article=article, kind=Reference.Kind.DOI, identifier=doi, url="")


def web_reference(article, url: str) -> Reference:
    return ReferenceFactory(article=article, kind=Reference.Kind.WEB, identifier="", url=url)


@pytest.fixture
def article(staff_groups):
    editor = UserFactory(is_staff=True, email="eda@example.org", display_name="Eda")
    editor.groups.add(staff_groups["Editors"])
    return ArticleFactory(
        title="Basket trials", body="NRG1 fusions.", author=editor, next_review=date(2027, 6, 1)
    )


# --- Crossref ----------------------------------------------------------------------------------
def test_a_works_notices_are_read_as_retraction_correction_or_concern():
    work = crossref.work_parse(
        json.loads((RECORDED / "retracted.json").read_text()), doi="10.5555/test.retracted"
    )
    assert work.title == "A trial report later retracted"
    assert work.updates == (
        crossref.Update("retraction", "10.5555/test.retraction-notice", date(2025, 9, 17)),
        crossref.Update("correction", "10.5555/test.erratum", date(2024, 1, 8)),
    )  # a new version is not a finding


def test_dois_match_whatever_their_case_and_another_work_is_refused():
    concern = json.loads((RECORDED / "concern.json").read_text())
    assert crossref.work_parse(concern, doi="10.5555/test.concern").updates[0].kind == "concern"
    with pytest.raises(crossref.CrossrefError, match="another work"):
        crossref.work_parse(concern, doi="10.5555/test.clean")


def test_a_retraction_is_found_once_mailed_once_and_puts_the_article_up_for_review(
    web, article, smtp_server, tasks_inline
):
    web.route("/works/10.5555/test.retracted", answer("retracted"))
    reference = doi_reference(article, "10.5555/test.retracted")
    body = article.body
    with time_machine.travel(NOW, tick=False), tasks_inline():
        tasks.check_references.delay()
    with time_machine.travel(NOW + timedelta(days=8), tick=False):
        with tasks_inline():
            tasks.check_references.delay()  # found again: nothing new, nobody mailed twice
        assert list(reviews_due()) == [Article.objects.get(pk=article.pk)]
    found = Finding.objects.order_by("pk")
    assert [f.kind for f in found] == ["retraction", "correction"]
    assert Finding.objects.count() == 2
    retraction = Finding.objects.get(kind="retraction")
    assert (retraction.notice, retraction.noticed_on) == (
        "10.5555/test.retraction-notice", date(2025, 9, 17),
    )  # fmt: skip
    article.refresh_from_db()
    assert article.next_review == date(2026, 12, 7)
    assert article.body == body  # nothing edits the text
    subjects = sorted(m["Subject"] for m in smtp_server.to("eda@example.org"))
    assert subjects == [
        "[Driverline] Corrected: a paper cited in “Basket trials”",
        "[Driverline] Retracted: a paper cited in “Basket trials”",
    ]
    assert FindingMail.objects.count() == 2
    check = ReferenceCheck.objects.get(reference=reference)
    assert (check.outcome, check.detail) == ("flagged", "correction, retraction")
    assert check.checked_at == NOW + timedelta(days=8)
    ((_, headers), *_) = web.requests
    assert headers["User-Agent"].endswith("mailto:editors@driverline.example)")


def test_a_correction_alone_does_not_move_the_review_date(web, article):
    web.route("/works/10.5555/test.concern", answer("concern"))
    citations.reference_check(doi_reference(article, "10.5555/test.concern"), now=NOW)
    article.refresh_from_db()
    assert article.next_review == date(2027, 6, 1)
    assert Finding.objects.get().get_kind_display() == "Expression of concern"


def test_a_clean_paper_is_fine_and_crossref_down_concludes_nothing(web, article):
    web.route("/works/10.5555/test.clean", answer("clean"), (503, b"{}", {}))
    reference = doi_reference(article, "10.5555/test.clean")
    citations.reference_check(reference, now=NOW)
    assert ReferenceCheck.objects.get().outcome == "ok"
    citations.reference_check(reference, now=NOW + timedelta(days=7))
    check = ReferenceCheck.objects.get()
    assert (check.outcome, check.checked_at) == ("unchecked", NOW + timedelta(days=7))
    assert "answered 503" in check.detail
    assert not Finding.objects.exists()


def test_a_doi_written_as_a_doi_org_link_is_checked_against_crossref(web, article):
    web.route("/works/10.5555/test.clean", answer("clean"))
    reference = web_reference(article, "https://doi.org/10.5555/test.clean")
    assert citations.reference_target(reference) == ("doi", "10.5555/test.clean")
    trial = ReferenceFactory(article=article, identifier="NCT02912949", url="")
    assert citations.reference_target(trial) is None  # the trial cards follow it


# --- Links -------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [404, 410])
def test_404_and_410_are_dead_links_found_once(web, article, status):
    web.route("/gone", (status, b"", {}))
    reference = web_reference(article, f"{web.url}/gone")
    (finding,) = citations.reference_check(reference, now=NOW)
    assert (finding.kind, finding.notice) == ("dead_link", str(status))
    assert citations.reference_check(reference, now=NOW + timedelta(days=7)) == []


def test_a_redirect_to_a_live_page_is_fine_and_to_a_dead_one_is_dead(web, article):
    web.route("/moved", (301, b"", {"Location": "/page"}))
    web.route("/page", (200, b"<html>ok</html>", {"Content-Type": "text/html"}))
    web.route("/moved-away", (302, b"", {"Location": "/gone"}))
    web.route("/gone", (404, b"", {}))
    assert citations.reference_check(web_reference(article, f"{web.url}/moved"), now=NOW) == []
    (dead,) = citations.reference_check(web_reference(article, f"{web.url}/moved-away"), now=NOW)
    assert dead.target == f"{web.url}/moved-away"
    assert web.asked("/page") == 1


def test_a_timeout_is_tried_again_and_never_flagged(web, article, settings):
    settings.LINKCHECK_ATTEMPTS = 2
    web.delays["/slow"] = 1.5
    reference = web_reference(article, f"{web.url}/slow")
    assert citations.reference_check(reference, now=NOW) == []
    assert web.asked("/slow") == 2
    check = ReferenceCheck.objects.get()
    assert (check.outcome, check.detail) == ("unchecked", "no answer (ReadTimeout)")


def test_a_server_error_or_a_refusal_concludes_nothing(web, article):
    web.route("/down", (503, b"", {}))
    web.route("/robots-no", (403, b"", {}))
    for path in ("/down", "/robots-no"):
        assert citations.reference_check(web_reference(article, f"{web.url}{path}"), now=NOW) == []
    assert set(ReferenceCheck.objects.values_list("outcome", flat=True)) == {"unchecked"}


# --- The schedule, the mail and who hears ------------------------------------------------------
def test_the_weekly_check_takes_public_articles_references_not_checked_for_a_week(web, article):
    web.route("/works/10.5555/test.clean", answer("clean"))
    web.route("/page", (200, b"ok", {}))
    doi_reference(article, "10.5555/test.clean")
    web_reference(article, f"{web.url}/page")
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    web_reference(draft, f"{web.url}/draft-page")
    assert citations.references_check_due(now=NOW) == 2
    assert citations.references_check_due(now=NOW + timedelta(days=6)) == 0
    assert citations.references_check_due(now=NOW + timedelta(days=8)) == 2
    assert web.asked("/draft-page") == 0


def test_a_finding_whose_mail_task_was_lost_is_handed_over_again(web, article, smtp_server):
    web.route("/gone", (404, b"", {}))
    (finding,) = citations.reference_check(web_reference(article, f"{web.url}/gone"), now=NOW)
    assert citations.findings_unmailed() == [finding.pk]  # no mail yet: handed over
    assert citations.findings_unmailed(now=finding.found_at + timedelta(days=15)) == []  # stale
    citations.finding_mail_send(finding_id=finding.pk)
    assert citations.findings_unmailed() == []  # mailed: never again


def test_editors_and_the_author_hear_moderators_and_readers_do_not(web, article, smtp_server):
    ModeratorFactory(email="mod@example.org")
    UserFactory(email="reader@example.org")
    web.route("/gone", (404, b"", {}))
    (finding,) = citations.reference_check(web_reference(article, f"{web.url}/gone"), now=NOW)
    assert citations.finding_mail_send(finding_id=finding.pk) == 1
    assert citations.finding_mail_send(finding_id=finding.pk) == 0  # never twice
    assert [str(m["To"]) for m in smtp_server.messages] == ["eda@example.org"]
    text = smtp_server.messages[0].get_body(("plain",)).get_content()
    assert "Dead link: " in text
    assert "The page answered 404." in text
    assert f"/admin/articles/article/{article.pk}/change/" in text


def test_findings_show_on_the_article_in_the_admin_and_in_the_site_wide_list(client, web, article):
    web.route("/works/10.5555/test.retracted", answer("retracted"))
    citations.reference_check(doi_reference(article, "10.5555/test.retracted"), now=NOW)
    client.force_login(article.author)
    form = client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    assert "Cited references: 2 findings" in form
    assert "10.5555/test.retraction-notice" in form
    listing = client.get("/admin/evidence/finding/").content.decode()
    assert listing.count("10.5555/test.retracted") == 2
    assert client.get("/admin/evidence/finding/?kind__exact=retraction").status_code == 200


def test_beat_checks_references_weekly():
    entry = django_settings.CELERY_BEAT_SCHEDULE["check-references"]
    assert app.tasks[entry["task"]].name == tasks.check_references.name
    assert entry["schedule"].day_of_week == {1}
