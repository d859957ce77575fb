from django import template

from newsletter.forms import PreferencesForm
from newsletter.models import Subscriber, TrialFollow
from newsletter.trial_follows import follows_of_user

register = template.Library()


@register.simple_tag(takes_context=True)
def subscription_of(context, user) -> Subscriber | None:
    """The reader's subscription, looked up once per request however many signup forms a
    page shows (the footer and the article's own)."""
    if not user.is_authenticated:
        return None
    request = context.get("request")
    cached = getattr(request, "_newsletter_subscription", None)
    if cached is not None and cached[0] == user.pk:
        return cached[1]
    # An active one first: after an email change it may be at the old address.
    subscriptions = list(Subscriber.objects.of_user(user).order_by("pk"))
    found = next((s for s in subscriptions if s.status == Subscriber.Status.ACTIVE), None)
    found = found or next(iter(subscriptions), None)
    if request is not None:
        request._newsletter_subscription = (user.pk, found)
    return found


@register.simple_tag
def preferences_form(subscription: Subscriber | None) -> PreferencesForm:
    """The frequency and topics form of the account settings page, showing the current choice."""
    initial: dict = {"frequency": Subscriber.Frequency.WEEKLY}
    if subscription is not None and subscription.status == Subscriber.Status.ACTIVE:
        initial = {"frequency": subscription.frequency, "topics": list(subscription.topics.all())}
    # Its own ids: the settings page has other forms.
    return PreferencesForm(initial=initial, auto_id="newsletter-%s")


@register.simple_tag(takes_context=True)
def trial_followed(context, trial) -> bool:
    """Whether the signed-in reader follows the trial: one query per request, however many
    trial cards the page shows; none for a reader who is not signed in."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return False
    request = context.get("request")
    cached = getattr(request, "_trial_follows", None)
    if cached is None or cached[0] != user.pk:
        active = follows_of_user(user).filter(status=TrialFollow.Status.ACTIVE)
        cached = (user.pk, set(active.values_list("trial_id", flat=True)))
        if request is not None:
            request._trial_follows = cached
    return trial.pk in cached[1]
