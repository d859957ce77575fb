from __future__ import annotations

from accounts.models import User

PROFILE_FIELDS = ("display_name", "role", "expertise", "competing_interests")


def profile_update(*, user: User, **fields: str) -> User:
    """Change what a reader shows about themselves beside their comments."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"Not profile fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(user, name, value.strip())
    user.save(update_fields=list(fields))
    return user
