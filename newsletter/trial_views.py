"""Follow a trial from its card, confirm by email, stop following. Thin: the rules are in
trial_follows.py. Answers to the email form never reveal whether an address is known."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.ratelimit import allow, window_seconds
from evidence.models import Trial
from newsletter import tokens, trial_follows
from newsletter.forms import TrialFollowForm
from newsletter.views import DAY, _bad_link, _client_key, _message, return_path


def _card(path: str, trial: Trial) -> str:
    return f"{path or '/'}#trial-{trial.nct_id}"


@require_POST
def trial_follow(request, nct_id: str):
    """The card's button: a signed-in reader follows with their account; anyone else gives
    an address, which is asked to confirm."""
    trial = get_object_or_404(Trial, nct_id=nct_id, as_of__isnull=False)
    form = TrialFollowForm(request.POST)
    back = return_path(request.POST.get("next"))
    if not allow(f"newsletter:ip:{_client_key(request)}", settings.NEWSLETTER_SIGNUP_RATE_PER_IP):
        response = _message(
            request,
            "Too many requests",
            "Too many sign-ups from your network. Please try again later.",
            status=429,
            back_url=back,
        )
        response["Retry-After"] = str(window_seconds(settings.NEWSLETTER_SIGNUP_RATE_PER_IP))
        return response
    if request.user.is_authenticated:
        follow = trial_follows.trial_follow_from_account(
            trial=trial, user=request.user, return_path=back
        )
        if follow.status == follow.Status.ACTIVE:
            messages.success(
                request, f"You follow {trial.nct_id}: we’ll email you when it changes."
            )
            return redirect(_card(back, trial))
    elif not form.is_valid():
        context = {"form": form, "trial": trial, "back_url": back}
        return render(request, "newsletter/trial_follow.html", context, status=400)
    elif not form.cleaned_data["website"]:
        trial_follows.trial_follow_request(
            trial=trial, email=form.cleaned_data["email"], return_path=back
        )
    query = f"?{urlencode({'next': back})}" if back else ""
    return redirect(reverse("trial_follow_check_inbox") + query)


@require_POST
@login_required
def trial_unfollow(request, nct_id: str):
    """A signed-in reader stops following from the card (their own follows only)."""
    trial = get_object_or_404(Trial, nct_id=nct_id)
    trial_follows.trial_unfollow_by_user(trial=trial, user=request.user)
    messages.success(request, f"You no longer follow {trial.nct_id}.")
    return redirect(_card(return_path(request.POST.get("next")), trial))


def trial_follow_check_inbox(request):
    return _message(
        request,
        "Check your inbox",
        "If that address can receive our mail, a message is on its way to it. Follow the link "
        f"inside within {settings.NEWSLETTER_CONFIRM_DAYS} days to confirm that you want to "
        "follow the trial. Nothing is sent until you do.",
        back_url=return_path(request.GET.get("next")),
    )


def follow_link(kind: tokens.LinkKind, *, days_setting: str | None):
    """A view reached by a signed link from a follower's mail: 400 with a page saying why
    when the link is not ours, altered or too old."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, token: str):
            days = getattr(settings, days_setting) if days_setting else None
            try:
                follow = tokens.read_follow_token(
                    token=token, kind=kind, max_age=days * DAY if days else None
                )
            except tokens.TokenError as error:
                return _bad_link(request, kind=kind, reason=error.reason, days=days)
            return view(request, follow)

        return wrapper

    return decorate


@require_http_methods(["GET", "POST"])
@follow_link(tokens.LinkKind.FOLLOW_CONFIRM, days_setting="NEWSLETTER_CONFIRM_DAYS")
def trial_follow_confirm(request, follow):
    """GET shows a button (so mail scanners confirm nothing); POST confirms."""
    if request.method == "GET":
        return render(request, "newsletter/trial_follow_confirm.html", {"follow": follow})
    follow = trial_follows.trial_follow_confirm(follow=follow)
    if follow.status != follow.Status.ACTIVE:
        return _message(
            request,
            "This link was used already",
            f"{follow.email} stopped following {follow.trial.nct_id} since. Follow it again "
            "from its card on any article that cites it.",
            status=409,
        )
    return _message(
        request,
        f"You follow {follow.trial.nct_id}",
        f"We’ll email {follow.email} when the trial’s status changes or its results are "
        "posted. Every such email has a link to stop with one click.",
        back_url=return_path(request.GET.get("next")),
    )


@csrf_exempt  # RFC 8058: mail providers POST here with no session and no token of ours
@require_http_methods(["GET", "POST"])
@follow_link(tokens.LinkKind.UNFOLLOW, days_setting=None)
def trial_unfollow_link(request, follow):
    """GET: a page with a button, so link scanners stop nothing. POST: stop at once,
    answering 200 with no redirect; a second POST is harmless."""
    if request.method == "GET":
        return render(request, "newsletter/trial_unfollow.html", {"follow": follow})
    trial_follows.trial_unfollow(follow=follow)
    return _message(
        request,
        "You no longer follow this trial",
        f"{follow.email} will get no more emails about {follow.trial.nct_id}. Anything else "
        "you receive from us is not affected.",
    )
