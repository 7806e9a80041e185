"""Finding resources from source and from a PyInstaller bundle, and the app icon files."""

import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat
from PySide6.QtWidgets import QApplication

from desktop import resources
from desktop.domain.errors import MissingResource
from desktop.resources import Packaging
from tests import render_icons

REPOSITORY = Path(__file__).resolve().parent.parent


def fake_bundle(monkeypatch: pytest.MonkeyPatch, unpacked: Path, executable: Path) -> None:
    """Make the interpreter look like a PyInstaller executable that unpacked into `unpacked`."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(unpacked), raising=False)
    monkeypatch.setattr(sys, "executable", str(executable))


def test_source_finds_repository_resources() -> None:
    assert resources.resources_dir() == REPOSITORY / "resources"
    assert resources.resource_path(resources.APP_ICON_PNG).is_file()
    assert resources.packaging() is Packaging.SOURCE
    assert resources.bundle_root() is None


def test_every_required_resource_exists() -> None:
    for relative in resources.REQUIRED_RESOURCES:
        assert (REPOSITORY / "resources" / relative).is_file(), relative


def test_onedir_bundle_found(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    internal = tmp_path / "StepDesk" / "_internal"
    (internal / "resources" / "icons").mkdir(parents=True)
    (internal / "resources" / "icons" / "stepdesk.png").write_bytes(b"png")
    fake_bundle(monkeypatch, internal, tmp_path / "StepDesk" / "stepdesk")

    assert resources.packaging() is Packaging.ONEDIR
    assert resources.resources_dir() == internal / "resources"
    assert (
        resources.resource_path("icons/stepdesk.png") == internal / "resources/icons/stepdesk.png"
    )


def test_onefile_bundle_found(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    unpacked = tmp_path / "tmp" / "_MEI12345"
    unpacked.mkdir(parents=True)
    fake_bundle(monkeypatch, unpacked, tmp_path / "dist" / "stepdesk")

    assert resources.packaging() is Packaging.ONEFILE
    assert resources.resources_dir() == unpacked / "resources"


def test_inside_bundle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    unpacked = tmp_path / "_MEI12345"
    unpacked.mkdir()
    assert not resources.inside_bundle(unpacked / "stepdesk.sqlite3")

    fake_bundle(monkeypatch, unpacked, tmp_path / "stepdesk")

    assert resources.inside_bundle(unpacked / "stepdesk.sqlite3")
    assert resources.inside_bundle(unpacked)
    assert not resources.inside_bundle(tmp_path / "home" / "stepdesk.sqlite3")


def test_missing_resource_names_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(resources.RESOURCES_ENV, str(tmp_path))

    with pytest.raises(MissingResource) as raised:
        resources.resource_path(resources.APP_ICON_PNG)

    assert str(tmp_path / "icons" / "stepdesk.png") in str(raised.value)
    assert resources.RESOURCES_ENV in str(raised.value)


def test_empty_resource_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "icons").mkdir()
    (tmp_path / "icons" / "stepdesk.png").write_bytes(b"")
    monkeypatch.setenv(resources.RESOURCES_ENV, str(tmp_path))

    with pytest.raises(MissingResource):
        resources.resource_path(resources.APP_ICON_PNG)


def test_icon_png_matches_svg(qapp: QApplication) -> None:
    committed = Image.open(render_icons.PNG).convert("RGBA")
    fresh = render_icons.render(render_icons.SVG, render_icons.PNG_SIDE)

    assert committed.size == (render_icons.PNG_SIDE, render_icons.PNG_SIDE)
    # Qt versions antialias edges slightly differently; a changed drawing
    # moves the mean far more than this.
    mean_difference = ImageStat.Stat(ImageChops.difference(committed, fresh)).mean
    assert max(mean_difference) < 2.0, "run python -m tests.render_icons and commit the result"


def test_icon_ico_holds_windows_sizes() -> None:
    icon = Image.open(render_icons.ICO)

    sizes = icon.info["sizes"]

    for side in render_icons.ICO_SIDES:
        assert (side, side) in sizes
