"""The layout's rules (README, "Layout"), read from the code's own imports.

core is the ground floor and imports no app of ours; accounts and articles stand on it and
know no feature app; comments and newsletter stand side by side and never import each other;
evidence stands beside them, and the newsletter may read it (trial followers), never the reverse;
config is the top and only wires. An import circle is allowed only between an app's services
and its own tasks (the services queue the tasks, the tasks call the services).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("core", "accounts", "articles", "comments", "newsletter", "evidence", "config")
# Which of our apps each app may import (besides itself).
ALLOWED = {
    "core": set(),
    "accounts": {"core"},
    "articles": {"core", "accounts"},
    "comments": {"core", "accounts", "articles"},
    # The newsletter's list machinery serves trial followers too; evidence never imports it.
    "newsletter": {"core", "accounts", "articles", "evidence"},
    "evidence": {"core", "accounts", "articles"},
    "config": {"core", "accounts", "articles", "comments", "newsletter", "evidence"},
}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Our modules that `name` imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    seen = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        seen.update(target for target in targets if target in MODULES)
    return seen - {name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def test_the_layout_was_read():
    assert {"core.mail", "newsletter.delivery", "comments.services"} <= set(MODULES)
    assert "core.mail" in GRAPH["comments.notifications"]


@pytest.mark.parametrize("app", APPS)
def test_each_app_imports_only_the_floors_below_it(app):
    wrong = sorted(
        f"{name} -> {target}"
        for name, targets in GRAPH.items()
        if name.split(".")[0] == app
        for target in targets
        if target.split(".")[0] not in ALLOWED[app] | {app}
    )
    assert not wrong, f"{app} may import only {sorted(ALLOWED[app])}: {wrong}"


def test_config_holds_wiring_only():
    assert {p.name for p in (ROOT / "config").glob("*.py")} <= {
        "__init__.py",
        "settings.py",
        "product.py",  # the apps' own settings, imported by settings.py
        "logs.py",  # LOGGING and Sentry's wiring, imported by settings.py
        "urls.py",
        "celery.py",
        "wsgi.py",
        "asgi.py",
    }


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in GRAPH:
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_but_an_apps_services_and_its_tasks():
    def allowed(cycle: list[str]) -> bool:
        app = cycle[0].split(".")[0]
        return set(cycle) <= {f"{app}.services", f"{app}.tasks"}

    assert [cycle for cycle in _cycles() if not allowed(cycle)] == []


def test_no_module_is_over_400_lines():
    long = {
        name: lines
        for name, path in MODULES.items()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
