"""fit(live=True) in a real JupyterLab: the view appears while the cell runs, updates, and its
buttons pause, step and stop the training (the kernel keeps answering them mid-cell).

Starts JupyterLab on a free local port and drives it with headless Chromium (about 30-60 s).
Needs jupyterlab (`pip install -e '.[test]'` has it), chromium and chromium-driver; skipped
without them outside CI, a failure under CI.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest
from test_explore_browser import _browser_missing

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CELLS = [
    f"import sys; sys.path.insert(0, {ROOT!r})\n"
    "import nn\n"
    "X, labels = nn.datasets.make_moons(100, noise=0.1, seed=0)\n"
    "model = nn.MLP(2, [16, 16, 1], activation='relu', seed=0)\n"
    "history = nn.fit(model, X, nn.datasets.to_signed(labels), loss='hinge',\n"
    "                 optimizer=nn.Adam(model.parameters(), lr=0.02), epochs=5000, live=True)",
    "print('RESULT', history.stopped_by, history.epochs, len(history.recording.frames))",
]


def _missing() -> str:
    missing = _browser_missing()
    if not missing and shutil.which("jupyter", path=os.path.dirname(sys.executable)) is None:
        missing = "jupyterlab is not installed in this Python (pip install -e '.[test]')"
    return missing


@pytest.fixture
def lab(tmp_path):
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the JupyterLab test must run in CI: {missing}")
        pytest.skip(missing)
    notebook = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [], "source": s}
            for i, s in enumerate(CELLS)
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "live.ipynb").write_text(json.dumps(notebook))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        IPYTHONDIR=str(tmp_path / "ipython"),
    )
    server = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "jupyter"),
            "lab",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            "--IdentityProvider.token=live",
            f"--ServerApp.root_dir={tmp_path}",
            "--LabApp.expose_app_in_browser=True",
            "--allow-root",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
        env=env,
    )
    try:
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/lab/tree/live.ipynb?token=live"
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


def _wait(driver, script, seconds=120):  # generous: CI machines are slow and shared
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for: {script}; browser log: {driver.get_log('browser')[-5:]}")


def test_the_live_view_updates_while_training_and_its_buttons_pause_step_and_stop(lab):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from test_explore_browser import CHROMEDRIVER, CHROMIUM

    profile = tempfile.mkdtemp(prefix="dagrad-lab-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1400,1000",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    epoch = "return +((document.querySelector('.dg-live') || {dataset: {}}).dataset.epoch || 0)"
    state = "return (document.querySelector('.dg-live') || {dataset: {}}).dataset.state"
    click = "document.querySelector('.dg-live-' + arguments[0]).click()"
    try:
        driver.get(lab)
        _wait(driver, "return !!(window.jupyterapp && document.querySelector('.jp-Notebook'))")
        time.sleep(2)
        driver.execute_script(
            "const b = document.querySelector('.jp-Dialog .jp-mod-accept'); if (b) b.click()"
        )  # a kernel prompt
        _wait(driver, "return !!document.querySelector('.jp-Notebook-ExecutionIndicator[data-status=\"idle\"]')", 60)
        # Only the training cell: an execute request queued behind it would wait for it anyway.
        driver.execute_script("window.jupyterapp.commands.execute('notebook:run-cell-and-select-next')")
        first = _wait(driver, epoch)
        later = _wait(driver, epoch.replace("return ", "const e = ") + f"; return e > {first} + 2 ? e : 0")
        assert later > first  # it updates while the cell is still running
        driver.execute_script(click, "pause")
        _wait(driver, state + " === 'paused'")
        held = driver.execute_script(epoch)
        time.sleep(2)
        assert driver.execute_script(epoch) == held  # paused: no epoch runs
        driver.execute_script(click, "step")  # full batch: one step is one epoch
        _wait(driver, epoch.replace("return ", "const e = ") + f"; return e === {held + 1}")
        time.sleep(1)
        assert driver.execute_script(epoch) == held + 1
        driver.execute_script(click, "resume" if driver.find_elements("css selector", ".dg-live-resume") else "pause")
        _wait(driver, epoch.replace("return ", "const e = ") + f"; return e > {held + 3}")
        driver.execute_script(click, "stop")
        _wait(driver, state + " === 'stopped'")
        driver.execute_script("window.jupyterapp.commands.execute('notebook:run-cell-and-select-next')")
        text = _wait(
            driver,
            "const o = Array.from(document.querySelectorAll('.jp-OutputArea-output')).map(e => e.textContent)"
            ".find(t => t.includes('RESULT')); return o || ''",
        )
        _, stopped_by, epochs, frames = text.split("RESULT")[1].split()[:4] and [
            "",
            *text.split("RESULT")[1].split()[:3],
        ]
        assert stopped_by == "stopped" and held + 3 < int(epochs) < 5000 and int(frames) >= 1
        assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "dagrad" in e["message"]] == []
    except BaseException:
        if os.environ.get("DAGRAD_LAB_SCREENSHOT"):
            driver.save_screenshot(os.environ["DAGRAD_LAB_SCREENSHOT"])
        raise
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
