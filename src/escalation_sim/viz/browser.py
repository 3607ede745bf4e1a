"""A headless Chromium for looking at the page: the browser test and the README's screenshot.

Uses the machine's Chromium (Debian's ``chromium`` package) through Playwright with its
``executable_path``; never ``playwright install``, which downloads a browser. Playwright is a
``dev`` extra, imported only when a browser is launched.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Playwright

#: Headless, and quiet on a closed network: no GPU, no sandbox (CI runs as root), no calls home.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

#: Where to look for Chromium, after ``$CHROMIUM``.
CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")


def find_chromium() -> str | None:
    """Path of a Chromium to drive: ``$CHROMIUM``, then ``CANDIDATES``; None if there is none."""
    for candidate in (os.environ.get("CHROMIUM"), *CANDIDATES):
        path = shutil.which(candidate) if candidate else None
        if path:
            return path
    return None


def launch(
    playwright: Playwright,
    executable: str,
    profile: str | Path,
    width: int = 1600,
    height: int = 1100,
) -> BrowserContext:
    """A headless Chromium with a fresh profile directory and a ``width`` x ``height`` window."""
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=executable,
        args=list(CHROMIUM_ARGS),
        headless=True,
        viewport={"width": width, "height": height},
    )
