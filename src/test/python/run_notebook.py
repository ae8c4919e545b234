"""Executes a notebook top to bottom with a kernel of this Python, as a reader would run it.

    python run_notebook.py NOTEBOOK ROOT

ROOT reaches the notebook as NARROW_ROOT. Exits non-zero with the failing cell's error when a
cell raises; prints how many cells ran otherwise.
"""
import os
import sys

import nbformat
from nbclient import NotebookClient


def main(notebook, root):
    os.environ["NARROW_ROOT"] = root
    os.environ.setdefault("MPLBACKEND", "Agg")
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(notebook))}})
    client.execute()
    cells = sum(1 for c in nb.cells if c.cell_type == "code")
    print(f"ok {cells} code cells of {notebook} ran against {root}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
