"""Alerts for a biomarker in a cancer type: who an article reaches, once each; the digest
grouped by combination; the signup (through the double opt-in) and the preferences page."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from articles.models import Topic
from newsletter import emails, ledger, selectors, services, tokens
from newsletter.interests import MAX_INTERESTS, interest_add
from newsletter.models import Delivery, Edition, Interest, Subscriber
from tests.factories import ArticleFactory, TopicFactory

WEEK_47_MONDAY = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)


@pytest.fixture
def topics(db):
    def topic(name, slug, kind):
        return TopicFactory(name=name, slug=slug, kind=kind)

    return {
        "nrg1": topic("NRG1 fusion", "nrg1-fusion", Topic.Kind.BIOMARKER),
        "ntrk": topic("NTRK fusion", "ntrk-fusion", Topic.Kind.BIOMARKER),
        "bile": topic("Cholangiocarcinoma", "cholangiocarcinoma", Topic.Kind.CANCER_TYPE),
        "pancreas": topic("Pancreatic cancer", "pancreatic-cancer", Topic.Kind.CANCER_TYPE),
        "lung": topic("Lung cancer", "lung-cancer", Topic.Kind.CANCER_TYPE),
        "therapy": topic("Targeted therapy", "targeted-therapy", Topic.Kind.THERAPY),
    }


def reader(email, *, combinations=(), follows=(), frequency="each") -> Subscriber:
    subscriber = Subscriber.objects.create(email=email, status="active", frequency=frequency)
    subscriber.topics.set(follows)
    for biomarker, cancer_type in combinations:
        Interest.objects.create(subscriber=subscriber, biomarker=biomarker, cancer_type=cancer_type)
    return subscriber


def alert_recipients() -> set[str]:
    [alert] = services.alerts_create()
    return set(
        Delivery.objects.filter(edition_id=alert).values_list("subscriber__email", flat=True)
    )


# --- Who an article reaches ----------------------------------------------------------------------
def test_an_nrg1_cholangiocarcinoma_article_reaches_the_combinations_it_matches_only(topics):
    t = topics
    reader("nrg1-anywhere@example.org", combinations=[(t["nrg1"], None)])
    reader("any-in-bile@example.org", combinations=[(None, t["bile"])])
    reader("nrg1-pancreas@example.org", combinations=[(t["nrg1"], t["pancreas"])])
    reader("nrg1-bile@example.org", combinations=[(t["nrg1"], t["bile"])])
    reader("ntrk-anywhere@example.org", combinations=[(t["ntrk"], None)])
    reader("lung-topic@example.org", follows=[t["lung"]])
    reader("everything@example.org")
    ArticleFactory(title="Zenocutuzumab for NRG1+ bile duct cancer", topics=[t["nrg1"], t["bile"]])
    assert alert_recipients() == {
        "nrg1-anywhere@example.org",
        "any-in-bile@example.org",
        "nrg1-bile@example.org",
        "everything@example.org",
    }


def test_a_reader_with_many_matching_combinations_and_topics_gets_the_alert_once(topics):
    t = topics
    reader(
        "keen@example.org",
        combinations=[(t["nrg1"], None), (None, t["bile"]), (t["nrg1"], t["bile"])],
        follows=[t["nrg1"], t["bile"]],
    )
    ArticleFactory(topics=[t["nrg1"], t["bile"]])
    [alert] = services.alerts_create()
    edition = Edition.objects.get(pk=alert)
    assert list(selectors.audience(edition).values_list("email", flat=True)) == ["keen@example.org"]
    assert Delivery.objects.filter(edition=edition).count() == 1
    assert ledger.deliveries_create(edition=edition) == 1  # a second run adds nobody
    assert services.alerts_create() == []  # nor a second alert


def test_combinations_follow_their_own_rules_beside_plain_topics(topics):
    t = topics
    reader("combo-only@example.org", combinations=[(t["ntrk"], None)])
    reader("topic-and-combo@example.org", combinations=[(t["ntrk"], None)], follows=[t["therapy"]])
    ArticleFactory(topics=[t["therapy"], t["lung"]])
    # A reader with combinations and no topics no longer gets everything; their topics still count.
    assert alert_recipients() == {"topic-and-combo@example.org"}


def test_a_composed_editions_topics_match_combinations_as_an_articles_would(topics):
    t = topics
    reader(
        "nrg1-pancreas@example.org", combinations=[(t["nrg1"], t["pancreas"])], frequency="weekly"
    )
    reader("nrg1-anywhere@example.org", combinations=[(t["nrg1"], None)], frequency="weekly")
    mailing = Edition.objects.create(subject="NRG1 special")
    mailing.audience_topics.set([t["nrg1"]])
    assert set(selectors.audience(mailing).values_list("email", flat=True)) == {
        "nrg1-anywhere@example.org"
    }
    mailing.audience_topics.add(t["pancreas"])
    assert selectors.audience(mailing).count() == 2


def test_the_audience_query_has_no_distinct_and_alert_creation_stays_flat(
    topics, django_assert_max_num_queries
):
    t = topics

    def cost(count: int) -> int:
        Edition.objects.all().delete()
        Subscriber.objects.all().delete()
        for n in range(count):
            reader(f"r{n}@example.org", combinations=[(t["nrg1"], None), (None, t["bile"])],
                   follows=[t["nrg1"]])  # fmt: skip
        article = ArticleFactory(topics=[t["nrg1"], t["bile"]])
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            [alert] = services.alerts_create()
        assert Delivery.objects.filter(edition_id=alert).count() == count
        article.delete()
        return len(queries)

    assert cost(1) == cost(25)
    mailing = Edition.objects.create(subject="Everyone", kind=Edition.Kind.EDITION)
    assert "DISTINCT" not in str(selectors.audience(mailing).query).upper()


# --- The model's rules ---------------------------------------------------------------------------
def test_any_biomarker_in_any_cancer_cannot_be_stored(topics):
    subscriber = reader("nothing@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        Interest.objects.create(subscriber=subscriber)


def test_one_combination_is_stored_once_even_with_an_any(topics):
    subscriber = reader("twice@example.org", combinations=[(topics["nrg1"], None)])
    with pytest.raises(IntegrityError), transaction.atomic():
        Interest.objects.create(subscriber=subscriber, biomarker=topics["nrg1"])


def test_adding_refuses_wrong_kinds_and_more_than_the_limit(topics):
    from newsletter.interests import InterestError

    subscriber = reader("many@example.org")
    with pytest.raises(InterestError, match="not a biomarker"):
        interest_add(subscriber=subscriber, biomarker=topics["lung"], cancer_type=None)
    cancers = [TopicFactory(kind=Topic.Kind.CANCER_TYPE) for _ in range(MAX_INTERESTS)]
    for cancer in cancers:
        interest_add(subscriber=subscriber, biomarker=None, cancer_type=cancer)
    interest_add(subscriber=subscriber, biomarker=None, cancer_type=cancers[0])  # had it: fine
    with pytest.raises(InterestError, match=f"up to {MAX_INTERESTS}"):
        interest_add(subscriber=subscriber, biomarker=topics["nrg1"], cancer_type=None)
    assert subscriber.interests.count() == MAX_INTERESTS


# --- The digest, grouped -------------------------------------------------------------------------
def test_the_digest_groups_a_readers_articles_by_combination_each_article_once(topics, settings):
    settings.TIME_ZONE = "UTC"
    t = topics
    day = WEEK_47_MONDAY + timedelta(days=1)
    ArticleFactory(title="NRG1 in bile ducts", topics=[t["nrg1"], t["bile"]], published_at=day)
    ArticleFactory(
        title="NRG1 in the pancreas", topics=[t["nrg1"], t["pancreas"]], published_at=day
    )
    ArticleFactory(title="Bile duct screening", topics=[t["bile"]], published_at=day)
    ArticleFactory(title="A therapy note", topics=[t["therapy"]], published_at=day)
    ArticleFactory(title="Lung news", topics=[t["lung"]], published_at=day)
    reader("grouped@example.org", frequency="weekly", follows=[t["therapy"]],
           combinations=[(t["nrg1"], None), (None, t["bile"]), (t["nrg1"], t["bile"])])  # fmt: skip
    reader("plain@example.org", frequency="weekly", follows=[t["lung"]])
    digest = Edition.objects.get(pk=services.digest_create(today=date(2026, 11, 23)))
    rendered = emails.render_edition(digest)
    rows = ledger.claim_batch(edition_id=digest.pk, size=10)
    mail = {row.subscriber.email: emails.build_message(rendered, row) for row in rows}

    body = mail["grouped@example.org"].body
    headings = re.findall(r"^(NRG1 FUSION IN .*|ANY BIOMARKER IN .*|MORE IN WHAT YOU FOLLOW)$",
                          body, re.MULTILINE)  # fmt: skip
    # The most specific combinations first, then by name; a group only where an article is
    # left for it.
    assert headings == [
        "NRG1 FUSION IN CHOLANGIOCARCINOMA",
        "ANY BIOMARKER IN CHOLANGIOCARCINOMA",
        "NRG1 FUSION IN ANY CANCER TYPE",
        "MORE IN WHAT YOU FOLLOW",
    ]
    sections = re.split(r"^(?:NRG1 FUSION IN .*|ANY BIOMARKER IN .*|MORE IN WHAT YOU FOLLOW)$",
                        body, flags=re.MULTILINE)[1:]  # fmt: skip
    titles = [re.findall(r"^\* (.+)$", section, re.MULTILINE) for section in sections]
    assert titles == [
        ["NRG1 in bile ducts"],
        ["Bile duct screening"],
        ["NRG1 in the pancreas"],
        ["A therapy note"],
    ]
    assert "Lung news" not in body
    html = mail["grouped@example.org"].alternatives[0][0]
    assert re.search(r"<h2[^>]*>NRG1 fusion in cholangiocarcinoma</h2>", html)

    plain = mail["plain@example.org"].body  # no combinations: the digest as before, no headings
    assert "Lung news" in plain
    assert "MORE IN WHAT YOU FOLLOW" not in plain
    assert "NRG1" not in plain


def test_a_claimed_batch_brings_its_readers_combinations_along(topics, django_assert_num_queries):
    reader("one@example.org", combinations=[(topics["nrg1"], topics["bile"])])
    mailing = Edition.objects.create(subject="All")
    ledger.deliveries_create(edition=mailing)
    [row] = ledger.claim_batch(edition_id=mailing.pk, size=5)
    with django_assert_num_queries(0):
        assert [str(i) for i in row.subscriber.interests.all()] == [
            "NRG1 fusion in cholangiocarcinoma"
        ]


# --- The pages -----------------------------------------------------------------------------------
def signup_post(client, **data):
    return client.post("/newsletter/", {"email": "reader@example.org", "frequency": "weekly",
                                        "source": "page", **data})  # fmt: skip


def test_the_signup_page_adds_and_removes_combinations_without_script(client, topics):
    t = topics
    page = signup_post(client, email="", **{"interest-biomarker": t["nrg1"].pk,
                                            "interest-cancer_type": t["pancreas"].pk,
                                            "interest_add": "1"})  # fmt: skip
    assert page.status_code == 200
    html = page.content.decode()
    assert "<span>NRG1 fusion in pancreatic cancer</span>" in html
    assert f'name="interest" value="{t["nrg1"].pk}:{t["pancreas"].pk}"' in html
    assert "This field is required" not in html  # adding is not signing up
    page = signup_post(client, interest=[f"{t['nrg1'].pk}:{t['pancreas'].pk}", f":{t['bile'].pk}"],
                       interest_remove=f"{t['nrg1'].pk}:{t['pancreas'].pk}")  # fmt: skip
    html = page.content.decode()
    assert "<span>NRG1 fusion in pancreatic cancer</span>" not in html
    assert "<span>Any biomarker in cholangiocarcinoma</span>" in html
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"interest_add": "1"}, "any biomarker in any cancer type is every article"),
        ({"interest_add": "1", "interest-biomarker": "99999"}, "Select a valid choice"),
        ({"interest": ["nonsense"]}, "not one we know"),
        ({"interest": ["99998:"]}, "a topic we do not have"),
        ({"interest": ["{lung}:"]}, "is not a biomarker"),
        ({"interest-cancer_type": "{nrg1}"}, "Select a valid choice"),
    ],
)
def test_bad_combinations_on_the_signup_page_get_a_400_and_a_reason(client, topics, data, says):
    ids = {name: topic.pk for name, topic in topics.items()}
    data = {k: [v.format(**ids) for v in v] if isinstance(v, list) else v.format(**ids)
            for k, v in data.items()}  # fmt: skip
    response = signup_post(client, **data)
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not Subscriber.objects.exists()


def test_the_signup_page_refuses_more_combinations_than_the_limit(client, topics):
    cancers = [TopicFactory(kind=Topic.Kind.CANCER_TYPE) for _ in range(MAX_INTERESTS)]
    response = signup_post(client, interest=[f":{c.pk}" for c in cancers],
                           **{"interest-biomarker": topics["nrg1"].pk})  # fmt: skip
    assert response.status_code == 400
    assert f"up to {MAX_INTERESTS} combinations" in response.content.decode()


def preferences_url(subscriber) -> str:
    return tokens.links(subscriber)["preferences_url"].removeprefix("http://testserver")


def test_the_preferences_page_adds_and_removes_a_combination(client, topics):
    subscriber = reader("prefs@example.org", follows=[topics["lung"]])
    url = preferences_url(subscriber)
    added = client.post(url, {"interest-biomarker": topics["nrg1"].pk, "interest_add": "1"})
    assert added.status_code == 200
    assert "Added: NRG1 fusion in any cancer type." in added.content.decode()
    [interest] = subscriber.interests.all()
    assert list(subscriber.topics.all()) == [topics["lung"]]  # the other form's choices stay
    other = reader("other@example.org", combinations=[(topics["ntrk"], None)])
    theirs = other.interests.get()
    assert client.post(url, {"interest_remove": theirs.pk}).status_code == 200
    assert other.interests.exists()  # a link removes only its own subscriber's
    removed = client.post(url, {"interest_remove": interest.pk})
    assert "The combination is removed." in removed.content.decode()
    assert not subscriber.interests.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"interest_add": "1"},
        {"interest_add": "1", "interest-cancer_type": "not-a-number"},
        {"interest_remove": "drop table"},
    ],
)
def test_bad_combinations_on_the_preferences_page_get_a_400(client, topics, data):
    subscriber = reader("prefs@example.org")
    response = client.post(preferences_url(subscriber), data)
    assert response.status_code == 400
    assert not subscriber.interests.exists()


# --- Signing up with a combination, through the double opt-in ------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_combination_chosen_at_signup_is_kept_only_once_the_link_is_confirmed(
    client, smtp_server, celery_worker, topics
):
    t = topics
    response = signup_post(client, topics=[t["therapy"].pk], interest=[f"{t['nrg1'].pk}:"],
                           **{"interest-biomarker": t["ntrk"].pk,
                              "interest-cancer_type": t["pancreas"].pk})  # fmt: skip
    assert response.status_code == 302
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.PENDING
    assert not subscriber.interests.exists()  # nothing kept before confirmation

    message = smtp_server.wait_for_message("reader@example.org")
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "NRG1 fusion in any cancer type, NTRK fusion in pancreatic cancer" in body
    link = re.search(r"http://testserver(/newsletter/confirm/\S+/)", body).group(1)
    client.get(link)
    assert not subscriber.interests.exists()  # a scanner's GET confirms nothing
    assert client.post(link).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert sorted(str(i) for i in subscriber.interests.all()) == [
        "NRG1 fusion in any cancer type",
        "NTRK fusion in pancreatic cancer",
    ]
    assert subscriber.consent_topics == [
        "targeted-therapy",
        "nrg1-fusion in any cancer type",
        "ntrk-fusion in pancreatic-cancer",
    ]
    client.post(link)  # twice is harmless
    assert subscriber.interests.count() == 2
