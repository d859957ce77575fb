"""Read the demo site's data files: TOML, and Markdown with TOML front matter.

Every problem is reported as a DemoDataError that names the file, and where in it, so a
typo in the demo content reads as a sentence rather than a traceback from the seed command.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

FRONT_MATTER_FENCE = "+++"


class DemoDataError(ValueError):
    """A demo data file that cannot be used: says which file and what is wrong with it."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DemoDataError(path, f"cannot be read ({exc})") from None


def parse_toml(path: Path, text: str, *, first_line: int = 1) -> dict[str, Any]:
    # Blank lines in front keep tomllib's line numbers those of the file, front matter or not.
    try:
        return tomllib.loads("\n" * (first_line - 1) + text)
    except tomllib.TOMLDecodeError as exc:
        raise DemoDataError(path, f"is not valid TOML: {exc}") from None


def read_toml(path: Path) -> dict[str, Any]:
    return parse_toml(path, read_text(path))


def read_front_matter(path: Path) -> tuple[dict[str, Any], str]:
    """Split a Markdown file into its TOML front matter (between `+++` lines) and its body.

    The body is the text after the closing `+++` line, blank lines at its start left out.
    """
    lines = read_text(path).splitlines(keepends=True)
    if not lines or lines[0].rstrip() != FRONT_MATTER_FENCE:
        raise DemoDataError(
            path, f"must start with a '{FRONT_MATTER_FENCE}' line opening the TOML front matter"
        )
    closing = next(
        (n for n, line in enumerate(lines[1:], start=1) if line.rstrip() == FRONT_MATTER_FENCE),
        None,
    )
    if closing is None:
        raise DemoDataError(
            path, f"has no '{FRONT_MATTER_FENCE}' line closing the front matter opened on line 1"
        )
    meta = parse_toml(path, "".join(lines[1:closing]), first_line=2)
    body = "".join(lines[closing + 1 :]).lstrip("\n")
    return meta, body


# What a value in a data file may be; `list` means a list of strings.
_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    bool: "true or false",
    date: "a date (2026-11-17)",
    datetime: "a date and time with a UTC offset (2026-11-17T09:00:00Z)",
    list: "a list of strings",
}


def _has_type(value: Any, expected: type) -> bool:
    if expected is list:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if expected is datetime:
        return isinstance(value, datetime) and value.utcoffset() is not None
    # bool is an int and datetime is a date to Python, but not to whoever wrote the file.
    return type(value) is expected


def table_fields(
    table: Any,
    *,
    path: Path,
    where: str,
    required: dict[str, type],
    optional: dict[str, tuple[type, Any]] | None = None,
) -> dict[str, Any]:
    """The keys of one TOML table, checked: none missing, none unknown, each of its type.

    Optional keys that are absent get their default.
    """
    optional = optional or {}
    if not isinstance(table, dict):
        raise DemoDataError(path, f"{where}: must be a table of keys, not {table!r}")
    known = [*required, *optional]
    for key in table:
        if key not in known:
            raise DemoDataError(
                path, f"{where}: unknown key '{key}' (known keys: {', '.join(known)})"
            )
    for key in required:
        if key not in table:
            raise DemoDataError(path, f"{where}: '{key}' is missing")
    types = {**required, **{key: spec[0] for key, spec in optional.items()}}
    for key, value in table.items():
        if not _has_type(value, types[key]):
            raise DemoDataError(
                path, f"{where}: '{key}' must be {_TYPE_NAMES[types[key]]}, not {value!r}"
            )
    return {**{key: default for key, (_, default) in optional.items()}, **table}


def array_of_tables(data: dict[str, Any], key: str, *, path: Path, required: bool) -> list:
    """The `[[key]]` tables of a file, in order: a list of dicts (or none, if not required)."""
    tables = data.get(key, [])
    if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
        raise DemoDataError(path, f"'{key}' must be written as [[{key}]] tables")
    if required and not tables:
        raise DemoDataError(path, f"has no [[{key}]] tables")
    return tables


def numbered_tables(
    data: dict[str, Any], key: str, *, path: Path, required: bool
) -> Iterator[tuple[str, dict]]:
    """Each `[[key]]` table with where it stands ("[[faq]] 2"), for messages that point at it."""
    for number, table in enumerate(array_of_tables(data, key, path=path, required=required), 1):
        yield f"[[{key}]] {number}", table


def model_check(instance: models.Model, given: Iterable[str], *, path: Path, where: str) -> None:
    """Apply the model's own field rules (choices, lengths, URLs, clean()) to the given fields."""
    given = set(given)
    exclude = [field.name for field in instance._meta.fields if field.name not in given]
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        problems = "; ".join(
            f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
            for field, messages in exc.message_dict.items()
        )
        raise DemoDataError(path, f"{where}: {problems}") from None
