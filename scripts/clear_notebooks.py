"""Clear the outputs of notebooks before they are committed (``make notebook-clear``).

    .venv/bin/python scripts/clear_notebooks.py notebooks/*.ipynb

Removes every code cell's outputs, its execution count and the timing metadata JupyterLab may
record, and rewrites only the files that change. Notebooks are committed without outputs so that
no output can be stale: ``make test`` runs them, and ``tests/test_notebooks.py`` fails if a
notebook holds outputs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

#: Cell metadata a run leaves behind (JupyterLab's timing, collapsed/scrolled output views).
RUN_METADATA = ("execution", "collapsed", "scrolled")


def clear(path: Path) -> bool:
    """Clear one notebook in place; True if it changed."""
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    changed = False
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.outputs or cell.execution_count is not None:
            cell.outputs, cell.execution_count = [], None
            changed = True
        for key in RUN_METADATA:
            if key in cell.metadata:
                del cell.metadata[key]
                changed = True
    if changed:
        nbformat.write(nb, path)
    return changed


def main(argv: list[str]) -> int:
    """Clear each notebook named on the command line."""
    if not argv:
        print("usage: clear_notebooks.py NOTEBOOK.ipynb...", file=sys.stderr)
        return 2
    for name in argv:
        if clear(Path(name)):
            print(f"cleared {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
