"""The notebooks in ``notebooks/`` run top to bottom on this venv's Python and are committed clean.

Each notebook is executed in memory (nothing is written back) by nbclient on a kernel whose
command is this interpreter, so the notebooks run the code of this checkout whatever other
Jupyter kernels the machine has. Any error in any cell fails the test. Notebooks are committed
without outputs (``make notebook-clear``), so no committed output can be stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
KERNEL = "escalation-sim"  # the kernel the notebooks name; `make notebook` registers it in .venv
CELL_TIMEOUT = 900  # seconds; catches a hung cell, not a slow one (speed is not tested here)
#: Set in the kernel's environment: each notebook reads it into ``QUICK`` in its first cell.
QUICK_ENV = "ESCALATION_SIM_NOTEBOOK_QUICK"


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory) -> KernelSpecManager:
    """Kernel specs holding only ``escalation-sim``, run by this very interpreter."""
    root = tmp_path_factory.mktemp("kernels")
    spec = root / KERNEL
    spec.mkdir()
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Python (escalation-sim)", "language": "python"}
    # Quick mode: the notebooks run fewer seeds and weeks (every cell, figure and code path is
    # the same; only the sizes shrink). Unset, as for a user, they run at their shipped size.
    kernel["env"] = {QUICK_ENV: "1"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    return KernelSpecManager(kernel_dirs=[str(root)], ensure_native_kernel=False)


def execute(nb: nbformat.NotebookNode, specs: KernelSpecManager, cwd: Path) -> None:
    km = KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)
    client = NotebookClient(
        nb,
        km=km,
        timeout=CELL_TIMEOUT,
        allow_errors=False,  # the first failing cell raises CellExecutionError
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()


def test_the_issue_notebooks_are_there():
    names = {p.name for p in NOTEBOOKS}
    assert {
        "01_quickstart.ipynb",
        "02_border_hardening_vs_syria_collapse.ipynb",
        "03_agents_and_command_links.ipynb",
    } <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} hold outputs or execution counts; "
        "clear them with `make notebook-clear` before committing"
    )
    assert nb.metadata.kernelspec.name == KERNEL


def test_kernel_runs_this_checkout_on_this_venv(kernel_specs, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import sys, escalation_sim\nprint(sys.prefix)\nprint(escalation_sim.__file__)"
        )
    )
    execute(nb, kernel_specs, tmp_path)
    prefix, module = nb.cells[0].outputs[0]["text"].split()
    assert prefix == sys.prefix
    assert Path(module).resolve().is_relative_to(ROOT / "src")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, kernel_specs):
    nb = nbformat.read(path, as_version=4)
    # The quick mode is read where the notebook says, and only shrinks it.
    assert f'QUICK = os.environ.get("{QUICK_ENV}") == "1"' in nb.cells[1].source
    execute(nb, kernel_specs, NOTEBOOK_DIR)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)  # every cell ran
    figures = sum(
        "image/png" in out.get("data", {}) for c in code for out in c.outputs
    )  # the figures are drawn, not just built
    assert figures >= 3, f"{path.name} drew {figures} figures"
