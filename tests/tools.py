"""External programs that some tests compare the product against."""

import os
import shutil

import pytest


def require_tool(name: str, debian_package: str | None = None) -> str:
    """Return the path of the program `name`, or skip the test when it is not installed.

    On CI (the environment variable CI is "true") a missing program fails the test,
    so a broken CI image cannot turn a check into a silent skip.
    """
    path = shutil.which(name)
    if path is not None:
        return path
    message = (
        f"{name} is not installed; install it (Debian: apt-get install "
        f"{debian_package or name}) to run this test."
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
