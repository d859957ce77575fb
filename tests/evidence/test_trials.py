"""Trial cards that follow the registry (#17, point 1, and the recording of status changes
from point 2): parsing recorded API v2 responses, a polite fetch through Celery's code path
with backoff, a failed fetch keeping the last data, changes recorded once, and the cards on
the article page at a flat cost. The registry is a local server (conftest.py)."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from articles.models import Article
from config.celery import app
from evidence import registry as api
from evidence import services, tasks
from evidence.models import Trial, TrialChange
from tests.evidence.conftest import recorded
from tests.factories import ArticleFactory, ReferenceFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)


# --- Parsing -----------------------------------------------------------------------------------
def test_a_recruiting_study_gives_every_field_of_its_card():
    study = api.study_parse(recorded("NCT09000001"), nct_id="NCT09000001")
    assert study == api.Study(
        nct_id="NCT09000001",
        title="A Study of Drug A in Solid Tumours With an NRG1 Fusion",
        phases=("PHASE2",),
        overall_status="RECRUITING",
        conditions=("Pancreatic Cancer", "Cholangiocarcinoma", "NRG1 Fusion"),
        interventions=("Drug A", "Tumour biopsy"),
        sponsor="Example Oncology Inc.",
        enrollment=120,
        enrollment_actual=False,
        locations=3,
        last_update_posted=date(2026, 10, 30),
        results_first_posted=None,
    )


def test_a_completed_study_with_results_and_a_month_for_a_date():
    study = api.study_parse(recorded("NCT09000002"), nct_id="NCT09000002")
    assert (study.overall_status, study.results_first_posted) == ("COMPLETED", date(2026, 4, 15))
    assert study.last_update_posted == date(2026, 5, 1)  # "2026-05": the month's first day
    assert (study.enrollment, study.enrollment_actual, study.locations) == (48, True, 1)
    assert study.phases == ("PHASE1", "PHASE2")


def test_a_terminated_study_with_few_fields_takes_its_official_title():
    study = api.study_parse(recorded("NCT09000003"), nct_id="NCT09000003")
    assert (study.title, study.overall_status) == ("An Official Title Only", "TERMINATED")
    assert (study.phases, study.conditions, study.interventions) == ((), (), ())
    assert study.locations is None


def test_a_withdrawn_study_enrolled_nobody():
    study = api.study_parse(recorded("NCT09000004"), nct_id="NCT09000004")
    assert (study.overall_status, study.enrollment, study.enrollment_actual) == (
        "WITHDRAWN", 0, True,
    )  # fmt: skip


@pytest.mark.parametrize("payload", [[], {"protocolSection": {}}, recorded("NCT09000002")])
def test_an_answer_that_is_not_the_study_asked_for_is_refused(payload):
    with pytest.raises(api.RegistryError, match="NCT09000001"):
        api.study_parse(payload, nct_id="NCT09000001")


def test_labels_read_as_words():
    trial = Trial(overall_status="ACTIVE_NOT_RECRUITING", phases=["PHASE1", "PHASE2"])
    assert (trial.status_label, trial.phase_label) == ("Active, not recruiting", "Phase 1/Phase 2")
    assert Trial(overall_status="SOMETHING_NEW").status_label == "Something new"


# --- Fetching ----------------------------------------------------------------------------------
def test_a_refresh_stores_the_card_and_asks_politely(registry):
    trial = services.trial_refresh(nct_id="NCT09000001", now=NOW)
    assert (trial.title, trial.overall_status, trial.sponsor) == (
        "A Study of Drug A in Solid Tumours With an NRG1 Fusion", "RECRUITING",
        "Example Oncology Inc.",
    )  # fmt: skip
    assert (trial.conditions, trial.locations, trial.as_of) == (
        ["Pancreatic Cancer", "Cholangiocarcinoma", "NRG1 Fusion"], 3, NOW,
    )  # fmt: skip
    ((path, headers),) = registry.requests
    assert path == "/api/v2/studies/NCT09000001"
    assert headers["User-Agent"].startswith("Driverline/1.0 (+http")
    assert headers["Accept"] == "application/json"


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ((500, {"message": "oops"}, {}), "answered 500"),
        ((200, b"<html>maintenance</html>", {"Content-Type": "text/html"}), "not JSON"),
        ((200, recorded("NCT09000002"), {}), "another study"),
        ((404, {"message": "gone"}, {}), "no such study"),
    ],
)
def test_a_failed_fetch_keeps_the_last_data_and_its_date(registry, answer, why):
    services.trial_refresh(nct_id="NCT09000001", now=NOW)
    registry.answer("NCT09000001", answer)
    later = NOW + timedelta(days=1)
    trial = services.trial_refresh(nct_id="NCT09000001", now=later)
    assert (trial.overall_status, trial.as_of, trial.checked_at) == ("RECRUITING", NOW, later)
    assert why in trial.last_error
    assert (trial.failures, trial.next_attempt_at) == (1, later + timedelta(seconds=600))


def test_a_timeout_is_a_failure_not_a_hang(registry, settings):
    settings.TRIALS_API_TIMEOUT = 0.2
    registry.delay = 1.0
    trial = services.trial_refresh(nct_id="NCT09000001", now=NOW)
    assert trial.as_of is None
    assert "could not be reached" in trial.last_error


def test_failures_back_off_doubling_to_the_cap_and_a_success_resets(registry, settings):
    settings.TRIALS_RETRY_MAX_SECONDS = 2000
    registry.answer("NCT09000001", (503, {}, {}))
    waits, now = [], NOW
    for _ in range(4):
        trial = services.trial_refresh(nct_id="NCT09000001", now=now)
        waits.append((trial.next_attempt_at - now).total_seconds())
        now = trial.next_attempt_at
    assert waits == [600, 1200, 2000, 2000]
    registry.answer("NCT09000001", (200, recorded("NCT09000001"), {}))
    trial = services.trial_refresh(nct_id="NCT09000001", now=now)
    assert (trial.failures, trial.next_attempt_at, trial.last_error) == (0, None, "")


def test_no_request_while_waiting_and_429s_retry_after_is_obeyed(registry):
    registry.answer("NCT09000001", (429, {"message": "slow down"}, {"Retry-After": "7200"}))
    trial = services.trial_refresh(nct_id="NCT09000001", now=NOW)
    assert trial.next_attempt_at == NOW + timedelta(seconds=7200)
    services.trial_refresh(nct_id="NCT09000001", now=NOW + timedelta(hours=1))
    assert registry.asked("NCT09000001") == 1
    services.trial_refresh(nct_id="NCT09000001", now=NOW + timedelta(hours=2))
    assert registry.asked("NCT09000001") == 2


# --- Changes -----------------------------------------------------------------------------------
def _with(nct_id: str, **status) -> dict:
    record = recorded(nct_id)
    record["protocolSection"]["statusModule"].update(status)
    return record


def test_a_status_change_is_recorded_once_with_its_registry_date(registry):
    services.trial_refresh(nct_id="NCT09000001", now=NOW)
    assert not TrialChange.objects.exists()  # the first record changes nothing
    moved = _with(
        "NCT09000001",
        overallStatus="ACTIVE_NOT_RECRUITING",
        lastUpdatePostDateStruct={"date": "2026-12-01", "type": "ACTUAL"},
    )
    registry.answer("NCT09000001", (200, moved, {}))
    for hours in (1, 30):
        services.trial_refresh(nct_id="NCT09000001", now=NOW + timedelta(hours=hours))
    (change,) = TrialChange.objects.all()
    assert (change.kind, change.old_status, change.new_status, change.registry_date) == (
        "status", "RECRUITING", "ACTIVE_NOT_RECRUITING", date(2026, 12, 1),
    )  # fmt: skip


def test_results_posted_for_the_first_time_are_recorded_once(registry):
    services.trial_refresh(nct_id="NCT09000001", now=NOW)
    posted = _with("NCT09000001", resultsFirstPostDateStruct={"date": "2026-12-02"})
    registry.answer("NCT09000001", (200, posted, {}))
    services.trial_refresh(nct_id="NCT09000001", now=NOW + timedelta(days=1))
    services.trial_refresh(nct_id="NCT09000001", now=NOW + timedelta(days=2))
    assert list(TrialChange.objects.values_list("kind", flat=True)) == ["results"]


@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_the_same_moment_record_a_change_once(registry):
    services.trial_refresh(nct_id="NCT09000001", now=NOW)
    registry.answer("NCT09000001", (200, _with("NCT09000001", overallStatus="COMPLETED"), {}))
    registry.delay = 0.3  # both are waiting on the registry at once
    errors = []

    def refresh():
        try:
            services.trial_refresh(nct_id="NCT09000001", now=NOW + timedelta(days=1))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert TrialChange.objects.count() == 1
    assert Trial.objects.get().overall_status == "COMPLETED"


# --- What is refreshed -------------------------------------------------------------------------
def test_the_schedule_refreshes_trials_public_articles_cite_new_or_a_day_old(registry):
    ArticleFactory(body="See NCT09000001 and NCT09000001 again.")
    ReferenceFactory(article=ArticleFactory(body="No number."), identifier="NCT09000002")
    ArticleFactory(status=Article.Status.DRAFT, published_at=None, body="NCT09000003")
    assert services.trials_refresh_due(now=NOW) == ["NCT09000001", "NCT09000002"]
    assert services.trials_refresh_due(now=NOW + timedelta(hours=23)) == []
    assert services.trials_refresh_due(now=NOW + timedelta(hours=25)) == [
        "NCT09000001", "NCT09000002",
    ]  # fmt: skip
    assert registry.asked("NCT09000003") == 0


def test_beat_refreshes_trials_every_hour():
    entry = django_settings.CELERY_BEAT_SCHEDULE["refresh-trials"]
    assert app.tasks[entry["task"]].name == tasks.refresh_trials.name
    assert entry["schedule"].minute == {23}


# --- The card on the page ----------------------------------------------------------------------
def test_the_article_shows_a_card_for_each_trial_it_cites(registry):
    article = ArticleFactory(body="Two trials: NCT09000002, then NCT09000001.")
    services.trials_refresh_due(now=NOW)
    page = Client().get(article.get_absolute_url()).content.decode()
    assert "Trials in this article" in page
    assert page.index("Drug B Versus Chemotherapy") < page.index("A Study of Drug A")
    assert 'href="https://clinicaltrials.gov/study/NCT09000001"' in page
    assert "Recruiting</span> · Phase 2 · NCT09000001" in page
    assert "120 (estimated)" in page
    assert "48 (actual)" in page
    assert "Results posted" in page
    assert 'As of <time datetime="2026-12-04T06:00:00+00:00">4 December 2026</time>' in page


def test_a_trial_the_registry_never_gave_has_no_card(registry):
    article = ArticleFactory(body="A typo: NCT09999999.")
    services.trials_refresh_due(now=NOW)
    assert "Trials in this article" not in Client().get(article.get_absolute_url()).content.decode()


def _page_queries(article, client=None) -> int:
    client = client or Client()
    client.get(article.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        client.get(article.get_absolute_url())
    return len(queries)


def test_the_page_costs_one_query_more_for_trials_however_many(registry):
    none = ArticleFactory(body="No trial here.")
    numbers = [f"NCT0900{n:04d}" for n in range(10)]
    for number in numbers:
        trial = Trial.objects.create(nct_id=number, title=f"Trial {number}", as_of=NOW)
        for status in ("ACTIVE_NOT_RECRUITING", "COMPLETED"):  # the card shows the latest
            TrialChange.objects.create(trial=trial, kind="status", new_status=status, key=status)
    many = ArticleFactory(body=" ".join(numbers))
    one = ArticleFactory(body=numbers[0])
    assert _page_queries(many) == _page_queries(one) == _page_queries(none) + 1
    page = Client().get(many.get_absolute_url()).content.decode()
    assert page.count("trial-card__title") == 10
    assert page.count("Status changed to Completed") == 10
    assert page.count("Follow this trial") == 10


def test_a_signed_in_readers_page_costs_one_query_more_for_their_follows(registry):
    from newsletter.models import TrialFollow

    reader = UserFactory()
    client = Client()
    client.force_login(reader)
    none = ArticleFactory(body="No trial here.")
    numbers = [f"NCT0900{n:04d}" for n in range(10)]
    for number in numbers:
        trial = Trial.objects.create(nct_id=number, title=f"Trial {number}", as_of=NOW)
        TrialChange.objects.create(trial=trial, kind="results", key="results")
        if number.endswith(("1", "3")):
            TrialFollow.objects.create(trial=trial, email=reader.email, status="active")
    many = ArticleFactory(body=" ".join(numbers))
    one = ArticleFactory(body=numbers[0])
    baseline = _page_queries(none, client)
    assert _page_queries(many, client) == _page_queries(one, client) == baseline + 2
    page = client.get(many.get_absolute_url()).content.decode()
    assert page.count("Stop following<span") == 2
    assert page.count("Follow this trial<span") == 8


# --- The demo ----------------------------------------------------------------------------------
def test_the_demo_shows_the_founding_trial_without_a_network(settings, tmp_path, staff_groups):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--quiet-logins")
    call_command("seed_trials")
    call_command("seed_trials")  # again: nothing more
    trial = Trial.objects.get(nct_id="NCT02912949")
    assert trial.as_of.date() == date(2025, 2, 5)
    assert trial.source.startswith("the sponsor's announcement")
    assert (trial.overall_status, trial.phases, trial.sponsor) == (
        "RECRUITING", ["PHASE1", "PHASE2"], "Merus N.V.",
    )  # fmt: skip
    founding = Article.objects.get(slug="fda-approves-zenocutuzumab-nrg1-cholangiocarcinoma")
    page = Client().get(founding.get_absolute_url()).content.decode()
    assert "zenocutuzumab (MCLA-128) in solid tumours with an NRG1 fusion" in page
    assert "from the sponsor&#x27;s announcement" in page
