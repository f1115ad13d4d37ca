"""criteria/ is pure Python: no Django, so it runs anywhere and stays fast."""

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "criteria"
DYNAMIC_IMPORTS = {"import_module", "__import__"}


def _imported(node: ast.AST) -> list[str]:
    """Module names an import statement, or importlib.import_module("...") /
    __import__("...") with a literal name, brings in."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0:
        return [node.module or ""]
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in DYNAMIC_IMPORTS and isinstance(node.args[0].value, str):
            return [node.args[0].value]
    return []


def django_imports(source: str) -> list[str]:
    modules = [name for node in ast.walk(ast.parse(source)) for name in _imported(node)]
    return [name for name in modules if name.split(".")[0] == "django"]


def test_it_spots_a_django_import_in_any_form() -> None:
    assert django_imports("import django") == ["django"]
    assert django_imports("from django.db import models") == ["django.db"]
    assert django_imports("import os, django.conf as conf") == ["django.conf"]
    assert django_imports("def f():\n    from django import forms") == ["django"]
    assert django_imports("importlib.import_module('django.apps')") == ["django.apps"]
    assert django_imports("__import__('django')") == ["django"]
    assert django_imports("import djangoish\nfrom . import django") == []


def test_it_has_no_django_import_in_the_criteria_package() -> None:
    sources = sorted(PACKAGE.rglob("*.py"))
    assert len(sources) >= 9
    found = {
        str(path.relative_to(ROOT)): django_imports(path.read_text(encoding="utf-8"))
        for path in sources
    }
    assert {path: names for path, names in found.items() if names} == {}


def test_it_imports_every_module_without_loading_django() -> None:
    code = (
        "import importlib, pkgutil, sys, criteria\n"
        "names = [m.name for m in pkgutil.walk_packages(criteria.__path__, 'criteria.')]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(len(names), sorted(m for m in sys.modules if m.split('.')[0] == 'django'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    count, loaded = result.stdout.strip().split(" ", 1)
    # Every .py file but the package's own __init__ is a module walk_packages found.
    assert int(count) == len(list(PACKAGE.rglob("*.py"))) - 1
    assert loaded == "[]"
