"""Newsletter mail: an edition rendered once (its intro from Markdown into HTML and plain
text, its featured articles, a digest's blocks per article and per correction), then one
message per subscriber built from it (their links, their digest's articles and the corrections
to articles they got an alert of, the list headers); and the mails that tell editors an edition
needs them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

from core.links import absolute_url, mail_context
from core.mail import MailMessage, inline_css, inline_css_fragment, render_mail
from core.markup import render_article_markdown, render_markdown_text
from newsletter.models import Delivery, Edition, Subscriber
from newsletter.selectors import sent_alerts
from newsletter.tokens import follow_links, links

# Stand-ins filled per subscriber, so the templates are rendered once per edition.
PREFERENCES = "__DRIVERLINE_PREFERENCES_URL__"
UNSUBSCRIBE = "__DRIVERLINE_UNSUBSCRIBE_URL__"
ARTICLES = "__DRIVERLINE_ARTICLES__"
CORRECTIONS = "__DRIVERLINE_CORRECTIONS__"
GROUP = "__DRIVERLINE_GROUP__"
# Over a digest's articles that none of the reader's combinations took, when some did.
MORE = "More in what you follow"


@dataclass(frozen=True)
class RenderedEdition:
    subject: str
    text: str
    html: str
    # Digests: each article's block, rendered once, with the ids of its topics.
    blocks: tuple[tuple[frozenset[int], str, str], ...] = ()
    # Digests: each correction's block, with the id of its article, and the heading over them
    # (text, html), for readers who got that article's alert.
    corrections: tuple[tuple[int, str, str], ...] = ()
    corrections_heading: tuple[str, str] = ("", "")
    # Digests: the heading over a group of articles, its label a stand-in (GROUP).
    group_heading: tuple[str, str] = ("", "")
    # The same digest for a reader who gets only corrections, titled for them: for one
    # correction, and (when the digest has more) for several.
    corrections_only: tuple[RenderedEdition, ...] = ()

    def corrections_part(self, chosen: list[tuple[int, str, str]], part: int) -> str:
        if not chosen:
            return ""
        return self.corrections_heading[part - 1] + "".join(block[part] for block in chosen)


def render_edition(edition: Edition) -> RenderedEdition:
    """The template work, done once per edition; per-subscriber links are stand-ins."""
    context = {
        "edition": edition,
        "subject": edition.subject,
        "preheader": edition.preheader,
        # The article rules, headings included, through the one sanitiser; and as plain text.
        "intro_html": render_article_markdown(edition.intro).html,
        "intro_text": render_markdown_text(edition.intro),
        "articles": list(edition.featured.prefetch_related("topics").order_by("-published_at")),
        **mail_context(),
        "preferences_url": PREFERENCES,
        "unsubscribe_url": UNSUBSCRIBE,
    }
    blocks: tuple = ()
    corrections: tuple = ()
    heading = group_heading = ("", "")
    if edition.kind == Edition.Kind.DIGEST:
        # Each reader's digest lists only the week's articles in their topics.
        blocks = tuple(
            (
                frozenset(topic.pk for topic in article.topics.all()),
                render_to_string("newsletter/email/_article.txt", {**context, "article": article}),
                inline_css_fragment(
                    render_to_string(
                        "newsletter/email/_article.html", {**context, "article": article}
                    )
                ),
            )
            for article in context["articles"]
        )
        context["articles"] = []  # pragma: no mutate (a template loops over None as over [])
        context["digest_blocks"] = ARTICLES
        group_heading = _rendered_pair(
            {**context, "group_label": GROUP}, "newsletter/email/_group_heading"
        )
        corrections = tuple(
            (change.article_id, *_correction_block(context, change))
            for change in edition.corrections.select_related("article").order_by("published_at")
        )
        if corrections:
            context["corrections_blocks"] = CORRECTIONS
            heading = _rendered_pair(context, "newsletter/email/_corrections_heading")
    rendered = RenderedEdition(
        subject=edition.subject,
        text=render_to_string("newsletter/email/edition_message.txt", context),
        html=inline_css(render_to_string("newsletter/email/edition_message.html", context)),
        blocks=blocks,
        corrections=corrections,
        corrections_heading=heading,
        group_heading=group_heading,
    )
    # A reader who is in the digest only for its corrections (they got the article's alert)
    # gets it titled for what it holds for them.
    subjects = ("a correction to an article we sent you", "corrections to articles we sent you")
    variants = []
    for subject in subjects[: min(len(corrections), 2)]:
        only = {
            **context,
            "subject": f"{settings.SITE_NAME}: {subject}",
            "preheader": "We got something wrong in what we sent you; here is what we corrected.",
        }
        variants.append(
            RenderedEdition(
                subject=only["subject"],
                text=render_to_string("newsletter/email/edition_message.txt", only),
                html=inline_css(render_to_string("newsletter/email/edition_message.html", only)),
            )
        )
    return replace(rendered, corrections_only=tuple(variants))


def _rendered_pair(context: dict, name: str) -> tuple[str, str]:
    text = render_to_string(f"{name}.txt", context)
    return text, inline_css_fragment(render_to_string(f"{name}.html", context))


def _correction_block(context: dict, change) -> tuple[str, str]:
    return _rendered_pair(
        {**context, "change": change, "note_text": render_markdown_text(change.note)},
        "newsletter/email/_correction",
    )


def render_preview(edition: Edition) -> RenderedEdition:
    """The edition as a subscriber of every topic sees it, with its personal links inert:
    for the admin preview and the editor's test message."""
    rendered = render_edition(edition)

    def inert(text: str, part: int) -> str:
        text = text.replace(ARTICLES, "".join(block[part] for block in rendered.blocks))
        text = text.replace(
            CORRECTIONS, rendered.corrections_part(list(rendered.corrections), part)
        )
        return text.replace(PREFERENCES, "#").replace(UNSUBSCRIBE, "#")

    return RenderedEdition(
        subject=rendered.subject, text=inert(rendered.text, 1), html=inert(rendered.html, 2)
    )


def editor_copy(edition: Edition, *, to: str) -> MailMessage:
    """A copy for one address (an editor's own), marked as a test: no list headers, and
    the personal links inert."""
    preview = render_preview(edition)
    message = MailMessage(
        subject=f"[TEST] {preview.subject}",
        body=preview.text,
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(preview.html, "text/html")
    return message


def mail_host() -> str:
    """The site's host name, in Message-IDs and the List-Id."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def alerts_received(
    rendered: RenderedEdition, deliveries: Iterable[Delivery]
) -> dict[int, frozenset[int]]:
    """Of the articles a digest's corrections are about, those each reader got an alert of (a
    sent delivery): one query for a whole batch, none for an edition without corrections."""
    if not rendered.corrections:
        return {}
    received: dict[int, set[int]] = {}
    for subscriber_id, article_id in (
        sent_alerts()
        .filter(
            edition__article_id__in={block[0] for block in rendered.corrections},
            subscriber_id__in=[delivery.subscriber_id for delivery in deliveries],
        )
        .values_list("subscriber_id", "edition__article_id")
    ):
        received.setdefault(subscriber_id, set()).add(article_id)
    return {subscriber_id: frozenset(ids) for subscriber_id, ids in received.items()}


def build_message(
    rendered: RenderedEdition,
    delivery: Delivery,
    *,
    received: dict[int, frozenset[int]] | None = None,
) -> MailMessage:
    """One reader's message. `received`: alerts_received for the reader's batch (without it,
    a digest with corrections asks for this reader alone)."""
    subscriber = delivery.subscriber
    urls = links(subscriber)
    host = mail_host()

    # A reader of each new article is in a digest only for its corrections: they had its
    # articles as alerts.
    weekly = subscriber.frequency == Subscriber.Frequency.WEEKLY
    groups = digest_groups(rendered.blocks, subscriber) if weekly and rendered.blocks else []
    chosen = [block for _, blocks in groups for block in blocks]
    articles = {part: _groups_part(rendered, groups, part) for part in (1, 2)}
    if received is None:
        received = alerts_received(rendered, [delivery])
    alerted = received.get(subscriber.pk, frozenset())
    corrected = [b for b in rendered.corrections if b[0] in alerted]
    corrections = {part: rendered.corrections_part(corrected, part) for part in (1, 2)}
    if corrected and not chosen and rendered.corrections_only:
        rendered = rendered.corrections_only[min(len(corrected), 2) - 1]

    def personal(text: str, part: int) -> str:
        text = text.replace(ARTICLES, articles[part])
        text = text.replace(CORRECTIONS, corrections[part])
        return text.replace(PREFERENCES, urls["preferences_url"]).replace(
            UNSUBSCRIBE, urls["unsubscribe_url"]
        )

    message = MailMessage(
        subject=rendered.subject,
        body=personal(rendered.text, 1),
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        to=[subscriber.email],
        headers={
            # Deterministic, so a resend after a crash is recognisable as the same message;
            # ledger.mark_sent stores the same value.
            "Message-ID": f"<edition-{delivery.edition_id}.{subscriber.pk}@{host}>",
            **list_headers(urls["unsubscribe_url"]),
        },
    )
    message.attach_alternative(personal(rendered.html, 2), "text/html")
    return message


def list_headers(unsubscribe_url: str) -> dict[str, str]:
    """The newsletter's list headers (RFC 2369, 2919, 8058) for one reader's message: a mail
    client's Unsubscribe button POSTs to `unsubscribe_url` and that is the end of it."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{settings.SITE_NAME} newsletter <newsletter.{mail_host()}>",
    }


def trial_change_message(*, change, follow, articles: list) -> MailMessage:
    """A follower's mail about a change to the trial they follow, with the list headers: its
    one-click unsubscribe stops their following of this trial, nothing else."""
    urls = follow_links(follow)
    context = {
        "trial": change.trial,
        "change": change,
        "articles": [
            {"title": article.title, "url": absolute_url(article.get_absolute_url())}
            for article in articles
        ],
        **urls,
    }
    message = render_mail(
        "newsletter/email/trial_change",
        to=follow.email,
        context=context,
        from_email=settings.NEWSLETTER_FROM_EMAIL,
    )
    message.extra_headers.update(
        {
            "Message-ID": f"<trial-change-{change.pk}.{follow.pk}@{mail_host()}>",
            **list_headers(urls["unfollow_url"]),
        }
    )
    return message


def digest_groups(blocks, subscriber: Subscriber) -> list[tuple[str | None, list]]:
    """A weekly reader's articles of the week, grouped by their combinations: a group per
    combination that an article matches, the most specific combinations first, then the rest
    they follow (topics; an article with no topics; everything, for who follows nothing)
    under MORE, or with no heading when no combination matched. Each article goes under the
    first combination it matches only, so the mail lists it once: a digest is read at a
    glance, and the same summary twice would only look like two articles."""
    topics = subscriber_topic_ids(subscriber)
    combinations = sorted(
        subscriber.interests.all(), key=lambda c: (not c.specific, str(c).lower(), c.pk)
    )
    everything = not topics and not combinations
    placed: set[int] = set()
    groups: list[tuple[str | None, list]] = []
    for combination in combinations:
        mine = [n for n, b in enumerate(blocks) if n not in placed and combination.matches(b[0])]
        if mine:
            placed.update(mine)
            groups.append((str(combination), [blocks[n] for n in mine]))
    rest = [
        b
        for n, b in enumerate(blocks)
        if n not in placed and (everything or not b[0] or b[0] & topics)
    ]
    if rest:
        groups.append((MORE if groups else None, rest))
    return groups


def _groups_part(rendered: RenderedEdition, groups, part: int) -> str:
    """The grouped articles as text (part 1) or HTML (part 2), each group under its heading."""
    out = []
    for label, blocks in groups:
        if label is not None:
            shown = label.upper() if part == 1 else escape(label)
            out.append(rendered.group_heading[part - 1].replace(GROUP, shown))
        out.extend(block[part] for block in blocks)
    return "".join(out)


def subscriber_topic_ids(subscriber: Subscriber) -> frozenset[int]:
    """Prefetched by ledger.claim_batch, so a batch costs one query for all its subscribers."""
    return frozenset(topic.pk for topic in subscriber.topics.all())


def attention_mails(
    edition: Edition, *, template: str = "newsletter/email/attention"
) -> list[EmailMultiAlternatives]:
    """One mail to each editor (and superuser) that the edition stopped (or waits), and why."""
    User = get_user_model()
    can_send = Q(groups__permissions__codename="change_edition") | Q(
        user_permissions__codename="change_edition"
    )
    editors = User.objects.filter(is_active=True).filter(can_send | Q(is_superuser=True))
    context = {
        "edition": edition,
        "subject": edition.subject,
        "preheader": edition.preheader,
        "edition_url": absolute_url(reverse("admin:newsletter_edition_change", args=[edition.pk])),
    }
    return [
        render_mail(template, to=address, context=context)
        for address in editors.distinct().values_list("email", flat=True)
    ]
