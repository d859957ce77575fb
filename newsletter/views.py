"""Subscribe, confirm, manage, leave. Answers never reveal whether an address is known."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode, urlsplit

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.markup import render_article_markdown
from core.ratelimit import allow, ip_digest, window_seconds
from newsletter import interests, selectors, services, tokens
from newsletter.forms import InterestForm, PreferencesForm, SignupForm
from newsletter.interests import pair_key
from newsletter.models import Subscriber, interest_label

DAY = 24 * 3600
SOURCES = {"footer", "article", "page", "settings"}


def _client_key(request: HttpRequest) -> str:
    return ip_digest(request.META.get("REMOTE_ADDR", ""))


def return_path(value: str | None) -> str:
    """A path on this site to lead the reader back to, or "": never another host, and no
    query string, so nothing but the page itself travels in our links."""
    value = (value or "").strip()
    if not value.startswith("/") or not url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return ""
    return urlsplit(value).path


def _message(request, title: str, text: str, *, status: int = 200, **extra):
    context = {"title": title, "text": text, **extra}
    return render(request, "newsletter/message.html", context, status=status)


def _signup_page(request, form, *, pairs=(), interest_form=None, status=200, **extra):
    context = {
        "form": form,
        "interests": [{"value": pair_key(p), "label": interest_label(*p)} for p in pairs],
        "interest_form": interest_form or InterestForm(),
        "interests_open": bool(pairs) or status != 200,
        **extra,
    }
    return render(request, "newsletter/subscribe.html", context, status=status)


def _signup_kept(request) -> SignupForm:
    """The signup form as the reader left it, unbound: adding or removing a combination is
    not a signup, so it shows no errors for an address not typed in yet."""
    fields = ("email", "frequency", "source", "next")
    initial = {name: request.POST.get(name, "") for name in fields}
    return SignupForm(initial={**initial, "topics": request.POST.getlist("topics")})


def _signup_combinations(request) -> HttpResponse | None:
    """Adding or removing a combination on the signup page (a submit button, no script):
    the page again, with the list changed and what was typed kept. None for a signup."""
    adding, removing = "interest_add" in request.POST, request.POST.get("interest_remove")
    if not (adding or removing):
        return None
    keys = [key for key in request.POST.getlist("interest") if key != removing]
    kept = _signup_kept(request)
    try:
        pairs = interests.pairs_from_keys(keys)
    except interests.InterestError as error:
        return _signup_page(request, kept, status=400, interest_error=str(error))
    interest_form = InterestForm(request.POST) if adding else None
    if interest_form is None:
        return _signup_page(request, kept, pairs=pairs)
    if not interest_form.is_valid():
        return _signup_page(request, kept, pairs=pairs, interest_form=interest_form, status=400)
    try:
        pairs = interests.pairs_unique([*pairs, interest_form.pair()])
    except interests.InterestError as error:
        return _signup_page(request, kept, pairs=pairs, interest_form=interest_form,
                            status=400, interest_error=str(error))  # fmt: skip
    return _signup_page(request, kept, pairs=pairs)  # added: the selects start from "any"


@require_http_methods(["GET", "POST"])
def subscribe(request):
    initial = {"source": "page", "next": return_path(request.GET.get("next"))}
    form = SignupForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if (changed := _signup_combinations(request)) is not None:
            return changed
        if not allow(
            f"newsletter:ip:{_client_key(request)}", settings.NEWSLETTER_SIGNUP_RATE_PER_IP
        ):
            response = _signup_page(
                request,
                form,
                error="Too many sign-ups from your network. Please try later.",
                status=429,
            )
            response["Retry-After"] = str(window_seconds(settings.NEWSLETTER_SIGNUP_RATE_PER_IP))
            return response
        interest_form = InterestForm(request.POST)
        try:
            pairs = interests.pairs_from_keys(request.POST.getlist("interest"))
        except interests.InterestError as error:
            return _signup_page(request, form, status=400, interest_error=str(error))
        # A pair chosen in the selects but not added yet is meant too; "any" in both is just
        # the selects left alone.
        if interest_form.is_valid():
            try:
                pairs = interests.pairs_unique([*pairs, interest_form.pair()])
            except interests.InterestError as error:
                return _signup_page(request, form, pairs=pairs, interest_form=interest_form,
                                    status=400, interest_error=str(error))  # fmt: skip
        elif interest_form.has_changed():
            return _signup_page(request, form, pairs=pairs, interest_form=interest_form, status=400)
        if not form.is_valid():
            return _signup_page(request, form, pairs=pairs, status=400)
        if not form.cleaned_data["website"]:
            source = (
                form.cleaned_data["source"] if form.cleaned_data["source"] in SOURCES else "page"
            )
            services.subscription_request(
                email=form.cleaned_data["email"],
                frequency=form.cleaned_data["frequency"],
                topics=list(form.cleaned_data["topics"]),
                source=source,
                user=request.user if request.user.is_authenticated else None,
                return_path=return_path(form.cleaned_data["next"]),
                interests=pairs,
            )
        back = return_path(form.cleaned_data["next"])
        query = f"?{urlencode({'next': back})}" if back else ""
        return redirect(reverse("newsletter_check_inbox") + query)
    return _signup_page(request, form)


def check_inbox(request):
    return _message(
        request,
        "Check your inbox",
        "If that address can receive our newsletter, a message is on its way to it. Follow the "
        f"link inside within {settings.NEWSLETTER_CONFIRM_DAYS} days to confirm. Nothing is sent "
        "until you do.",
        back_url=return_path(request.GET.get("next")),
    )


def _bad_link(request, *, kind: tokens.LinkKind, reason: str, days: int | None):
    """400, in words that fit the kind of link and why it failed. Signing up again mails a
    fresh link: a confirmation, or, to the subscribed, new preferences and unsubscribe links."""
    context = {"kind": kind, "reason": reason, "days": days}
    return render(request, "newsletter/bad_link.html", context, status=400)


def signed_link(kind: tokens.LinkKind, *, days_setting: str | None):
    """A view reached by a signed link from our mail: reads the token, or answers 400 with a
    page that says why and how to get a new link. `days_setting` names the setting that bounds
    the link's age, read on each request; None means the link never expires."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, token: str):
            days = getattr(settings, days_setting) if days_setting else None
            try:
                subscriber, payload = tokens.read_token(
                    token=token, kind=kind, max_age=days * DAY if days else None
                )
            except tokens.TokenError as error:
                return _bad_link(request, kind=kind, reason=error.reason, days=days)
            return view(request, token, subscriber, payload)

        return wrapper

    return decorate


@require_http_methods(["GET", "POST"])
@signed_link(tokens.LinkKind.CONFIRM, days_setting="NEWSLETTER_CONFIRM_DAYS")
def confirm(request, token: str, subscriber: Subscriber, payload: dict):
    """GET shows a button (so mail scanners confirm nothing); POST confirms."""
    if request.method == "GET":
        return render(request, "newsletter/confirm.html", {"subscriber": subscriber})
    services.subscription_confirm(subscriber=subscriber, payload=payload)
    return _message(
        request,
        "You’re subscribed",
        "Thank you for confirming. Every email we send has a link to change what you receive "
        "or to leave with one click.",
        links=tokens.links(subscriber),
        back_url=return_path(request.GET.get("next")),
    )


@require_http_methods(["GET", "POST"])
@signed_link(tokens.LinkKind.PREFERENCES, days_setting="NEWSLETTER_MANAGE_DAYS")
def preferences(request, token: str, subscriber: Subscriber, payload: dict):
    initial = {"frequency": subscriber.frequency, "topics": list(subscriber.topics.all())}
    changing = "interest_add" in request.POST or "interest_remove" in request.POST
    form = PreferencesForm(None if changing else request.POST or None, initial=initial)
    context = {"subscriber": subscriber, "token": token, "form": form}
    status = 200
    if changing:
        context.update(_preferences_combinations(request, subscriber))
        status = context.pop("status")
    elif request.method == "POST":
        if not form.is_valid():
            return _preferences_page(request, context, status=400)
        services.preferences_update(
            subscriber=subscriber,
            frequency=form.cleaned_data["frequency"],
            topics=list(form.cleaned_data["topics"]),
        )
        context["saved"] = "Your preferences are saved."
    return _preferences_page(request, context, status=status)


def _preferences_combinations(request, subscriber: Subscriber) -> dict:
    """Add or remove one of the subscriber's combinations, at once (the signed link is who
    may: a combination is removed only from the subscriber it names)."""
    removing = request.POST.get("interest_remove")
    if removing is not None:
        if not removing.isdigit():
            return {"status": 400, "interest_error": "That combination is not one of yours."}
        interests.interest_remove(subscriber=subscriber, interest_id=int(removing))
        return {"status": 200, "saved": "The combination is removed."}
    interest_form = InterestForm(request.POST)
    if not interest_form.is_valid():
        return {"status": 400, "interest_form": interest_form}
    try:
        interests.interest_add(subscriber=subscriber, biomarker=interest_form.pair()[0],
                               cancer_type=interest_form.pair()[1])  # fmt: skip
    except interests.InterestError as error:
        return {"status": 400, "interest_form": interest_form, "interest_error": str(error)}
    return {"status": 200, "saved": f"Added: {interest_label(*interest_form.pair())}."}


def _preferences_page(request, context: dict, *, status: int):
    subscriber = context["subscriber"]
    mine = subscriber.interests.select_related("biomarker", "cancer_type")
    context = {
        "interests": [{"value": interest.pk, "label": str(interest)} for interest in mine],
        "interest_form": InterestForm(),
        "unsubscribe_url": tokens.links(subscriber)["unsubscribe_url"],
        **context,
    }
    context["interests_open"] = bool(context["interests"]) or status != 200
    return render(request, "newsletter/preferences.html", context, status=status)


@csrf_exempt  # RFC 8058: mail providers POST here with no session and no token of ours
@require_http_methods(["GET", "POST"])
@signed_link(tokens.LinkKind.UNSUBSCRIBE, days_setting=None)
def unsubscribe(request, token: str, subscriber: Subscriber, payload: dict):
    """GET: a page with a button, so link scanners unsubscribe nobody. POST: leave at once,
    answering 200 with no redirect; a second POST is harmless."""
    if request.method == "GET":
        return render(request, "newsletter/unsubscribe.html", {"subscriber": subscriber})
    services.subscription_unsubscribe(subscriber=subscriber)
    return _message(
        request,
        "You’re unsubscribed",
        f"{subscriber.email} will get no more newsletter emails from us. Changed your mind? "
        "Subscribe again at any time; we’ll ask you to confirm.",
    )


@require_POST
@login_required
def account_subscription(request):
    """Subscribe or leave from the account settings page (verified addresses only)."""
    if not EmailAddress.objects.filter(
        user=request.user, email__iexact=request.user.email, verified=True
    ).exists():
        return _message(
            request,
            "Confirm your email address first",
            "Subscribing from your account needs a confirmed email address.",
            status=403,
        )
    if request.POST.get("action") == "unsubscribe":
        for subscriber in Subscriber.objects.of_user(request.user):
            services.subscription_unsubscribe(subscriber=subscriber)
        messages.success(request, "You are unsubscribed from the newsletter.")
        return redirect("account_settings")
    form = PreferencesForm(request.POST)
    if not form.is_valid():
        return _message(request, "Choose how often", "Pick weekly or each article.", status=400)
    frequency, topics = form.cleaned_data["frequency"], list(form.cleaned_data["topics"])
    active = Subscriber.objects.of_user(request.user).filter(status=Subscriber.Status.ACTIVE)
    if request.POST.get("action") == "update" and (subscriber := active.first()):
        services.preferences_update(subscriber=subscriber, frequency=frequency, topics=topics)
        messages.success(request, "Your newsletter choices are saved.")
    else:
        services.subscription_from_account(user=request.user, frequency=frequency, topics=topics)
        messages.success(request, "You are subscribed to the newsletter.")
    return redirect("account_settings")


def archive(request):
    editions = selectors.editions_in_archive()
    return render(request, "newsletter/archive.html", {"editions": editions[:200]})


def archive_detail(request, pk: int):
    edition = get_object_or_404(selectors.editions_in_archive(), pk=pk)
    return render(
        request,
        "newsletter/archive_detail.html",
        {
            "edition": edition,
            "intro_html": render_article_markdown(edition.intro).html,
            "articles": edition.featured.order_by("-published_at"),
        },
    )
