"""Take the README's screenshot of the browser view: ``docs/img/viz.png``.

    .venv/bin/python scripts/viz_screenshot.py [OUT.png] [--weeks N] [--compare]

Serves the page on a free port, opens it in headless Chromium (as the browser test does), sets
``syria_collapse`` to 0.8 with the keyboard (with ``--compare``, also ticks compare mode, whose
intervention is then ``border_hardening`` 1.00), presses Reset, then Step until week N (default
40), and saves the window. Needs the ``dev`` extra (Playwright) and Debian's ``chromium``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from escalation_sim.viz.browser import find_chromium, launch
from escalation_sim.viz.server import running_server

WEEK = ".escalation-text h3.week"


def main() -> int:
    """Take the screenshot; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("docs/img/viz.png"))
    parser.add_argument("--weeks", type=int, default=40)
    parser.add_argument("--compare", action="store_true", help="compare mode")
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        print("error: no Chromium found; apt-get install -y chromium", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(log=Path(tmp) / "server.log") as url,
        sync_playwright() as pw,
    ):
        context = launch(pw, chromium, Path(tmp) / "profile", width=1600, height=1250)
        try:
            context.set_default_timeout(60_000)
            page = context.new_page()
            page.goto(url)
            page.locator(".escalation-map svg").wait_for()
            slider = page.locator(".v-input", has_text="syria_collapse (share)")
            slider = slider.get_by_role("slider")
            slider.focus()
            for _ in range(16):  # 16 steps of 0.05
                slider.press("ArrowRight")
            if args.compare:
                page.get_by_text("Compare with an intervention").click()
            page.get_by_role("button", name="Reset").click()
            expect(page.locator(".escalation-text")).to_contain_text("severity 0.80")
            for week in range(1, args.weeks + 1):
                page.get_by_role("button", name="Step").click()
                expect(page.locator(WEEK)).to_contain_text(f"Week {week}:")
            page.mouse.move(0, 0)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(args.out))
        finally:
            context.close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
