"""Is this process a script whose top-level code would run again in every worker?

With the ``forkserver`` and ``spawn`` start methods each worker process re-imports the main
module (as ``__mp_main__``) before it runs a task. A script that calls ``run_sweep(...,
workers=2)`` at its top level, without an ``if __name__ == "__main__":`` guard, would start the
sweep again in every worker, which multiprocessing refuses mid-start (the worker dies). The
executor asks ``unguarded_script()`` and, for such a script, starts its workers with ``fork``,
which copies this process instead of re-importing the script: the script works as written.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def _is_main_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` (either way round)."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, *test.comparators]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names) and bool(consts)


def unguarded_script() -> bool:
    """True when ``__main__`` is a script file run by path that has no main guard.

    Modules run with ``python -m`` re-import under their own name, and interactive sessions and
    notebooks have no file to re-import: both are fine and give False, as does a file that cannot
    be read or parsed (then the usual start method is kept).
    """
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        return False
    path = getattr(main, "__file__", None)
    if not path or not str(path).endswith(".py"):
        return False
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return False
    return not any(_is_main_guard(node) for node in tree.body)
