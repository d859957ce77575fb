"""URLs of tests/core/sentry_scenario.py: a view that fails holding an address and a token."""

import logging

from django.urls import path


def confirm_failing(request, token):
    address = request.GET["email"]  # a local variable Sentry would send with the frame
    logging.getLogger("newsletter").info("confirming %s", address)  # a breadcrumb
    raise RuntimeError(f"confirming {address} with {token} failed")


urlpatterns = [path("newsletter/confirm/<str:token>/", confirm_failing)]
