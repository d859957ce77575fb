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


@pytest.fixture
def writer(staff_groups):
    """Staff who edit and file articles but may not publish them."""
    user = UserFactory(is_staff=True, display_name="Wren Writer")
    user.user_permissions.set(
        staff_groups["Editors"].permissions.exclude(codename="publish_article")
    )
    return user


@pytest.fixture
def medical_reviewer(staff_groups):
    """A medical reviewer (the Medical reviewers group), who decides and never edits."""
    user = UserFactory(is_staff=True, display_name="Rhea Reviewer", email="rhea@example.org")
    user.groups.add(staff_groups["Medical reviewers"])
    return user
