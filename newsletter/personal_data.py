from accounts.personal_data import register_exporter
from newsletter.models import Subscriber


@register_exporter
def export_subscription(user) -> dict:
    subscriber = Subscriber.objects.filter(email=user.email.lower()).first()
    if subscriber is None:
        return {"newsletter": None}
    return {
        "newsletter": {
            "email": subscriber.email,
            "status": subscriber.status,
            "frequency": subscriber.frequency,
            "topics": list(subscriber.topics.values_list("name", flat=True)),
            "consent_at": subscriber.consent_at.isoformat() if subscriber.consent_at else None,
            "consent_source": subscriber.consent_source,
        }
    }
