"""Layer rules: only desktop.ui imports Qt, only desktop.storage imports SQLAlchemy.

Each package is imported with all its modules in a fresh interpreter, and the
test reads that interpreter's sys.modules, so indirect imports count too.
"""

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent

# Alembic runs this script itself, and importing it anywhere else raises by design.
NOT_IMPORTABLE = {"desktop.storage.migrations.env"}

PROBE = """
import importlib, json, pkgutil, sys

name, skipped = sys.argv[1], set(sys.argv[2:])
package = importlib.import_module(name)
imported = [name]
for module in pkgutil.walk_packages(package.__path__, name + "."):
    if module.name not in skipped:
        importlib.import_module(module.name)
        imported.append(module.name)
print(json.dumps({"imported": imported, "modules": sorted(sys.modules)}))
"""

QT_PREFIXES = ("PySide6", "shiboken6")
SQLALCHEMY_PREFIXES = ("sqlalchemy", "alembic")


@dataclass(frozen=True)
class Layer:
    package: str
    sample_module: str
    """A module that the walk over the package must reach."""
    may_import_sqlalchemy: bool


CORE_LAYERS = [
    Layer("desktop.domain", "desktop.domain.callbacks", may_import_sqlalchemy=False),
    Layer("desktop.security", "desktop.security.totp", may_import_sqlalchemy=False),
    Layer("desktop.services", "desktop.services.stepup", may_import_sqlalchemy=False),
    Layer("desktop.storage", "desktop.storage.store", may_import_sqlalchemy=True),
]


@dataclass(frozen=True)
class ImportResult:
    imported: list[str]
    """The package and every module of it that the probe imported."""
    modules: list[str]
    """The sorted names in sys.modules afterwards."""


def import_in_fresh_interpreter(package: str) -> ImportResult:
    """Import `package` and all its modules in a new Python process and return what was loaded."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, package, *sorted(NOT_IMPORTABLE)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"importing {package} failed:\n{result.stderr}"
    return ImportResult(**json.loads(result.stdout))


def modules_under(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [
        module
        for module in modules
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)
    ]


@pytest.fixture(scope="module", params=CORE_LAYERS, ids=lambda layer: layer.package)
def layer_import(request: pytest.FixtureRequest) -> tuple[Layer, ImportResult]:
    layer: Layer = request.param
    return layer, import_in_fresh_interpreter(layer.package)


def test_layer_imports_every_module(layer_import: tuple[Layer, ImportResult]) -> None:
    layer, result = layer_import

    assert layer.sample_module in result.imported


def test_layer_without_qt(layer_import: tuple[Layer, ImportResult]) -> None:
    _layer, result = layer_import

    assert modules_under(result.modules, QT_PREFIXES) == []


def test_layer_sqlalchemy_only_in_storage(layer_import: tuple[Layer, ImportResult]) -> None:
    layer, result = layer_import

    found = modules_under(result.modules, SQLALCHEMY_PREFIXES)

    # Storage must show SQLAlchemy here, or this check could not catch anything.
    assert bool(found) == layer.may_import_sqlalchemy, found[:5]


def test_ui_without_sqlalchemy() -> None:
    if not (REPOSITORY / "desktop" / "ui" / "__init__.py").is_file():
        pytest.skip("desktop.ui is not a package yet")

    result = import_in_fresh_interpreter("desktop.ui")

    assert modules_under(result.modules, SQLALCHEMY_PREFIXES) == []
    assert len(result.imported) > 1
    # The UI does load Qt, which shows that the Qt check above can fire.
    assert modules_under(result.modules, QT_PREFIXES) != []


def test_modules_under_matches_whole_names() -> None:
    modules = ["PySide6", "PySide6.QtCore", "shiboken6", "PySide6_addons", "sqlalchemy.orm"]

    assert modules_under(modules, QT_PREFIXES) == ["PySide6", "PySide6.QtCore", "shiboken6"]


MODULE_PROBE = """
import importlib, json, sys

importlib.import_module(sys.argv[1])
print(json.dumps(sorted(sys.modules)))
"""

# Top-level modules that the command line loads before it decides to start
# the UI or storage, so that --help, --version and the resource lookup stay light.
LIGHT_MODULES = ["desktop.resources", "desktop.settings", "desktop.self_test"]


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_light_module_without_qt_or_sqlalchemy(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", MODULE_PROBE, module],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout)

    assert module in modules
    assert modules_under(modules, QT_PREFIXES) == []
    assert modules_under(modules, SQLALCHEMY_PREFIXES) == []
