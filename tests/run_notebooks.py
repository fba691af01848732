"""Execute notebooks headless through a GoNB kernel and fail on any error.

The kernel spec is installed into a temporary Jupyter data dir, so the run
does not depend on (or change) the user's Jupyter setup. Executed copies are
written to .build/executed/ for inspection and for the browser tests.

Usage: python tests/run_notebooks.py notebooks/*.ipynb
"""

import os
import pathlib
import subprocess
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

CELL_TIMEOUT_S = 600  # a cell that waits on a browser must never hang CI
ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / ".build" / "executed"


def install_kernel(data_dir: str) -> None:
    cmd = ["gonb", "--install", "--logtostderr=false", "--stderrthreshold=3", "--log_dir=" + data_dir]
    env = dict(os.environ, JUPYTER_DATA_DIR=data_dir)
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)


def problems_in(nb) -> list[str]:
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr" and "panic:" in out.text:
                found.append(f"cell {i}: panic on stderr: {out.text[:300]}")
    return found


def run(path: pathlib.Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    started: dict[int, float] = {}
    took: dict[int, float] = {}

    def on_start(cell, cell_index):
        started[cell_index] = time.monotonic()

    def on_done(cell, cell_index, execute_reply):
        took[cell_index] = time.monotonic() - started.get(cell_index, time.monotonic())

    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="gonb",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent.resolve())}},
        on_cell_start=on_start,
        on_cell_executed=on_done,
    )
    start = time.monotonic()
    client.execute()
    elapsed = time.monotonic() - start
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, OUT_DIR / path.name)
    found = problems_in(nb)
    status = "FAIL" if found else "ok"
    print(f"{status:4} {path} ({len(nb.cells)} cells, {elapsed:.1f} s)", flush=True)
    slowest = sorted(took.items(), key=lambda kv: -kv[1])[:3]
    print("     slowest cells: " + ", ".join(f"#{i} {t:.1f} s" for i, t in slowest), flush=True)
    return found


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: run_notebooks.py NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    failed = False
    with tempfile.TemporaryDirectory(prefix="kvcache-jupyter-") as data_dir:
        install_kernel(data_dir)
        os.environ["JUPYTER_DATA_DIR"] = data_dir
        os.environ["JUPYTER_PATH"] = data_dir
        # The measuring cells take fewer runs and tokens headless (their prose says so).
        os.environ.setdefault("KVCACHE_QUICK", "1")
        for p in paths:
            for problem in run(pathlib.Path(p)):
                print("     " + problem, file=sys.stderr)
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
