import logging

import pytest

pytestmark = pytest.mark.django_db

FIELDS = {f"field{n}": "x" for n in range(50)}


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"path": "/", "HTTP_HOST": "evil.example"},
        {"path": "/accounts/login/", "data": {"login": "x" * 5000}},
        {"path": "/accounts/login/", "data": FIELDS},
    ],
    ids=["disallowed-host", "request-too-large", "too-many-fields"],
)
def test_a_bad_request_is_logged_as_one_warning_line_without_a_traceback(
    client, settings, caplog, request_kwargs
):
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    method = client.post if "data" in request_kwargs else client.get
    with caplog.at_level(logging.INFO):
        response = method(**request_kwargs)
    assert response.status_code == 400
    assert 'class="site-header"' in response.content.decode()  # the friendly 400 page
    logged = [r for r in caplog.records if r.name.startswith("django.security.")]
    assert len(logged) == 1, [r.getMessage() for r in caplog.records]
    assert logged[0].levelno == logging.WARNING
    assert logged[0].exc_info is None
    # Besides the request's own line (core.requestlog), which says the 400 and nothing more.
    [request_line] = [r for r in caplog.records if r.name.startswith("django_structlog.")]
    assert request_line.msg["status"] == 400
    assert len(caplog.records) == 2
    assert not [r for r in caplog.records if "\n" in r.getMessage()]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
