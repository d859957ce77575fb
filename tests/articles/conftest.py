"""Fixtures the article tests share."""

import pytest

from tests.factories import UserFactory


@pytest.fixture
def editor(client, staff_groups):
    """An editor (the Editors group) signed in on `client`."""
    user = UserFactory(is_staff=True, display_name="Eda Editor")
    user.groups.add(staff_groups["Editors"])
    client.force_login(user)
    return user
