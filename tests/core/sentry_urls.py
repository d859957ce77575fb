"""URLs of tests/core/sentry_scenario.py: a view that fails holding an address and a token."""

from django.urls import path


def confirm_failing(request, token):
    address = request.GET["email"]  # a local variable Sentry would send with the frame
    raise RuntimeError(f"confirming {address} with {token} failed")


urlpatterns = [path("newsletter/confirm/<str:token>/", confirm_failing)]
