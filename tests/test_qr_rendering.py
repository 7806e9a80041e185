"""QR codes as a camera reads them: decoded from grabs, crisp at every scale factor."""

import json
import os
import subprocess
import sys

import pytest
import qrcode
from pytestqt.qtbot import QtBot
from qrcode.exceptions import DataOverflowError

from desktop.security import totp
from desktop.ui.qr import QUIET_ZONE_MODULES, QrCodeWidget, qr_modules
from tests.ui_helpers import decode_qr, require_zxing

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
LONG_NAME = "Ó" + "a" * 98 + "z"

# (issuer, account, the exact URI an authenticator app must read)
URI_CASES = [
    ("StepDesk", "olivia@example.co.uk", "StepDesk:olivia%40example.co.uk", "StepDesk"),
    ("Acme Portal", "Olivia Owner", "Acme%20Portal:Olivia%20Owner", "Acme%20Portal"),
    (
        "Smith & Sons",
        "o'brien+test@example.co.uk",
        "Smith%20%26%20Sons:o%27brien%2Btest%40example.co.uk",
        "Smith%20%26%20Sons",
    ),
    ("Desk: Live", "ops:team", "Desk%20Live:ops%20team", "Desk%20Live"),
    (
        "Zoë's Café",
        "jürgen@bücher.example",
        "Zo%C3%AB%27s%20Caf%C3%A9:j%C3%BCrgen%40b%C3%BCcher.example",
        "Zo%C3%AB%27s%20Caf%C3%A9",
    ),
    ("100% Ready", "a+b", "100%25%20Ready:a%2Bb", "100%25%20Ready"),
    (LONG_NAME, LONG_NAME, f"%C3%93{'a' * 98}z:%C3%93{'a' * 98}z", f"%C3%93{'a' * 98}z"),
]


@pytest.mark.parametrize(("issuer", "account", "label", "issuer_parameter"), URI_CASES)
def test_decoded_uri_matches_expected(
    qtbot: QtBot, issuer: str, account: str, label: str, issuer_parameter: str
) -> None:
    widget = QrCodeWidget(totp.provisioning_uri(SECRET, issuer, account))
    qtbot.addWidget(widget)
    widget.show()
    expected = f"otpauth://totp/{label}?secret={SECRET}&issuer={issuer_parameter}"
    assert decode_qr(widget) == expected


@pytest.mark.parametrize(("issuer", "account", "_label", "_issuer_parameter"), URI_CASES)
def test_lowest_version_that_fits(
    issuer: str, account: str, _label: str, _issuer_parameter: str
) -> None:
    payload = totp.provisioning_uri(SECRET, issuer, account)
    version = (len(qr_modules(payload)) - 17) // 4
    smaller = qrcode.QRCode(version=version - 1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    smaller.add_data(payload)
    with pytest.raises(DataOverflowError):
        smaller.make(fit=False)


@pytest.mark.parametrize("scale", ["1", "1.5", "2"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_qr_crisp_at_scale(scale: str, theme: str) -> None:
    require_zxing()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR=scale)
    arguments = [sys.executable, "-m", "tests.qr_probe"] + (["--dark"] if theme == "dark" else [])
    result = subprocess.run(
        arguments, capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    ratio = float(scale)
    assert report["ratio"] == ratio
    assert report["texts"] == [totp.provisioning_uri(SECRET, "StepDesk", "olivia@example.co.uk")]
    assert report["ec_level"] == ["M"]
    assert report["off_colour_pixels"] == 0
    assert report["uneven_runs"] == []
    assert report["module_pixels"] == int(QrCodeWidget.MODULE_PIXELS * ratio)
    side_modules = len(qr_modules(report["texts"][0])) + 2 * QUIET_ZONE_MODULES
    assert report["size"][0] >= side_modules * report["module_pixels"]
