"""Write ``escalation-sim params`` of each bundled scenario into ``scenario/data/params.json``.

``params`` then reads a bundled scenario's table from there instead of importing the schema
(pydantic).

Run it after changing a bundled scenario, the schema or the loader; until then ``params`` loads
the scenario through the schema as before (the stored table carries a checksum of those files),
and tests/test_cli_help.py fails.

    python scripts/make_params_table.py
"""

from __future__ import annotations

from escalation_sim.cli import PARAMS_TABLE, write_params_table

if __name__ == "__main__":
    write_params_table()
    print(f"wrote {PARAMS_TABLE}")
