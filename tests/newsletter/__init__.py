import pytest

# The shared checks of mailings.py explain a failed assert as a test's own asserts do.
pytest.register_assert_rewrite("tests.newsletter.mailings")
