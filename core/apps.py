from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor: mail, links, markup, rate limits and site-wide template pieces that
    every app may use. It imports no app of ours."""

    name = "core"
    verbose_name = "Site"

    def ready(self) -> None:
        from core import checks, mail  # noqa: F401  (the mail task, the system checks)
