"""Executes a notebook top to bottom with a kernel of this Python, as a reader would run it.

    python run_notebook.py NOTEBOOK ROOT

ROOT reaches the notebook as NARROW_ROOT. Exits non-zero with the failing cell's error when a
cell raises, or when it drew fewer figures than it has plotting cells; prints what ran otherwise.
"""
import os
import sys

import nbformat
from nbclient import NotebookClient


def main(notebook, root):
    os.environ["NARROW_ROOT"] = root
    os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend, which puts figures in the outputs
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(notebook))}})
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    plotting = sum(1 for c in code if "plt.show()" in c.source)
    figures = sum(1 for c in code for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    if figures < plotting:
        sys.exit(f"{notebook}: {plotting} cells plot, but only {figures} figures came out")
    print(f"ok {len(code)} code cells of {notebook} ran against {root}, {figures} figures")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
