from django import template

from newsletter.models import Subscriber

register = template.Library()


@register.simple_tag
def subscription_of(user) -> Subscriber | None:
    if not user.is_authenticated:
        return None
    # An active one first: after an email change it may be at the old address.
    subscriptions = Subscriber.objects.of_user(user)
    return subscriptions.filter(status=Subscriber.Status.ACTIVE).first() or subscriptions.first()
