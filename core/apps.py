from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor: mail, links, markup, rate limits and site-wide template pieces that
    every app may use. It imports no app of ours."""

    name = "core"
    verbose_name = "Site"

    def ready(self) -> None:
        # The mail task, the system checks, the suppression list's admin page, the heartbeat
        # task and /readyz's parts.
        from core import checks, health, heartbeat, mail, suppression_admin  # noqa: F401
