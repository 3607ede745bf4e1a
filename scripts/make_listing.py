"""Write ``scenario/data/listing.json``: what ``params`` and ``scenarios`` print of the bundled.

``escalation-sim params`` and ``escalation-sim scenarios`` then read it instead of importing
the schema (pydantic) or parsing every file. Run this after changing a bundled scenario, the
schema or the loader; until then the commands load the scenarios as before (the listing
carries a checksum of those files), and tests/test_cli_help.py fails.

    python scripts/make_listing.py
"""

from __future__ import annotations

from escalation_sim.cli import LISTING, write_listing

if __name__ == "__main__":
    write_listing()
    print(f"wrote {LISTING}")
