from accounts.personal_data import register_exporter
from newsletter.models import Subscriber


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
