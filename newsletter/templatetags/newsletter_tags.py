from django import template

from newsletter.models import Subscriber

register = template.Library()


@register.simple_tag
def subscription_of(user) -> Subscriber | None:
    if not user.is_authenticated:
        return None
    return Subscriber.objects.filter(email=user.email.lower()).first()
