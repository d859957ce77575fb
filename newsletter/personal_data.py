from accounts.personal_data import (
    DeletionChoice,
    register_deleter,
    register_deletion_choice,
    register_exporter,
)
from newsletter.models import Subscriber
from newsletter.services import subscription_unsubscribe
from newsletter.trial_follows import follows_of_user, trial_unfollow

END_SUBSCRIPTION = "newsletter_end"


@register_exporter
def export_subscription(user) -> dict:
    """Every subscription of the reader's, including one at an address they have since left."""
    return {
        "newsletter": [
            {
                "email": subscriber.email,
                "status": subscriber.status,
                "frequency": subscriber.frequency,
                "topics": [topic.name for topic in subscriber.topics.all()],
                "consent_at": subscriber.consent_at.isoformat() if subscriber.consent_at else None,
                "consent_source": subscriber.consent_source,
            }
            for subscriber in Subscriber.objects.of_user(user).prefetch_related("topics")
        ]
    }


def _active(user):
    return Subscriber.objects.of_user(user).filter(status=Subscriber.Status.ACTIVE)


@register_deletion_choice
def offer_subscription_end(user) -> DeletionChoice | None:
    addresses = ", ".join(_active(user).values_list("email", flat=True))
    if not addresses:
        return None
    return DeletionChoice(
        name=END_SUBSCRIPTION,
        label="Also end my newsletter subscription",
        help_text=(
            f"The newsletter goes to {addresses}. Ticked, it stops with your account. Unticked, "
            "it keeps coming, no longer tied to an account, and every issue has a link to leave."
        ),
    )


@register_deleter
def end_subscription(user, choices) -> None:
    if choices.get(END_SUBSCRIPTION, True):  # ending it is the default
        for subscriber in _active(user):
            subscription_unsubscribe(subscriber=subscriber)


@register_exporter
def export_trial_follows(user) -> dict:
    """The trials the reader follows, or asked to, by account or at the account's address."""
    return {
        "trial_follows": [
            {
                "trial": follow.trial.nct_id,
                "email": follow.email,
                "status": follow.status,
                "source": follow.source,
                "confirmed_at": follow.confirmed_at.isoformat() if follow.confirmed_at else None,
            }
            for follow in follows_of_user(user).select_related("trial").order_by("pk")
        ]
    }


@register_deleter
def end_trial_follows(user, choices) -> None:
    """Following a trial is part of the account: it stops with it."""
    for follow in follows_of_user(user):
        trial_unfollow(follow=follow)
