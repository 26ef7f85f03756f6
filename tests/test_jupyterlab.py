"""The widgets in a real JupyterLab, driven by headless Chromium: the explorer steps with the arrow
keys to the engine's gradient, and fit(live=True)'s view appears while the cell runs, updates, and
its buttons pause, step and stop the training (the kernel answers them mid-cell).

Each test starts JupyterLab on a free local port (about 20-60 s). Needs jupyterlab (the `test`
extra has it), chromium and chromium-driver; skipped without them outside CI, a failure under CI.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
from test_explore_browser import _browser_missing, driver  # noqa: F401 - the shared headless Chromium

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PATHS = f"import sys; sys.path[:0] = [{ROOT!r}, {HERE!r}]\n"


@pytest.fixture
def lab(tmp_path):
    """A function that starts JupyterLab on a notebook of the given cells and returns its URL."""
    missing = _browser_missing()
    if not missing and shutil.which("jupyter", path=os.path.dirname(sys.executable)) is None:
        missing = "jupyterlab is not installed in this Python (pip install -e '.[test]')"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the JupyterLab tests must run in CI: {missing}")
        pytest.skip(missing)
    servers = []

    def start(cells):
        cells = [
            {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [], "source": s}
            for i, s in enumerate(cells)
        ]
        kernel = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
        notebook = {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}
        (tmp_path / "test.ipynb").write_text(json.dumps(notebook))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = dict(
            os.environ,
            **{name: str(tmp_path / name) for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")},
        )
        command = [os.path.join(os.path.dirname(sys.executable), "jupyter"), "lab", "--no-browser", f"--port={port}",
                   "--ip=127.0.0.1", "--IdentityProvider.token=dagrad", f"--ServerApp.root_dir={tmp_path}",
                   "--LabApp.expose_app_in_browser=True", "--allow-root"]  # fmt: skip
        servers.append(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path, env=env)
        )
        for _ in range(240):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        return f"http://127.0.0.1:{port}/lab/tree/test.ipynb?token=dagrad"

    yield start
    for server in servers:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


def wait(browser, script, seconds=120):
    """Poll `script` until it returns something true (generous: CI machines are slow and shared)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = browser.execute_script(script)
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for: {script}; browser log: {browser.get_log('browser')[-5:]}")


def open_notebook(browser, url):
    """Open the notebook and wait for its kernel to be idle, accepting a kernel prompt whenever one
    shows (on a loaded machine it can come late)."""
    browser.get(url)
    browser.get_log("browser")  # only this notebook's messages from here on
    wait(browser, "return !!(window.jupyterapp && document.querySelector('.jp-Notebook'))")
    wait(
        browser,
        "const accept = document.querySelector('.jp-Dialog .jp-mod-accept'); if (accept) { accept.click(); return false; }"
        "const app = window.jupyterapp, widget = app.shell.currentWidget;"
        "const kernel = widget && widget.sessionContext && widget.sessionContext.session && widget.sessionContext.session.kernel;"
        "return !!kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected';",
    )


def run_next_cell(browser):
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-cell-and-select-next')")


def severe_errors(browser):
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "dagrad" in e["message"]]


def test_the_explorer_widget_steps_to_the_engines_gradient(lab, driver):  # noqa: F811
    from selenium.webdriver.common.keys import Keys

    cell = (
        PATHS
        + "from explore_graphs import tutorial_network\nfrom autograd import explore\nE, params = tutorial_network()\nexplore(E)"
    )
    open_notebook(driver, lab([cell]))
    run_next_cell(driver)
    wait(driver, "return !!document.querySelector('.dagrad-explorer .dg-root[data-frame]')")
    root = driver.find_element("css selector", ".dagrad-explorer .dg-root")
    root.click()
    for _ in range(5):
        root.send_keys(Keys.ARROW_RIGHT)
    assert root.get_attribute("data-frame") == "5"
    root.send_keys(Keys.END)
    w5 = driver.execute_script(
        "return Array.from(document.querySelectorAll('.dg-value'))"
        ".find(g => g.querySelector('text').textContent === 'w5').getAttribute('data-grad')"
    )
    assert round(float(w5), 9) == 0.082167041  # dE/dw5 of the 2-2-2 network (the seed tutorial's figure)
    assert severe_errors(driver) == []


def test_the_live_view_updates_while_training_and_its_buttons_pause_step_and_stop(lab, driver):  # noqa: F811
    train = (
        PATHS + "import nn\n"
        "X, labels = nn.datasets.make_moons(100, noise=0.1, seed=0)\n"
        "model = nn.MLP(2, [16, 16, 1], activation='relu', seed=0)\n"
        "history = nn.fit(model, X, nn.datasets.to_signed(labels), loss='hinge',\n"
        "                 optimizer=nn.Adam(model.parameters(), lr=0.02), epochs=5000, live=True)"
    )
    report = "print('RESULT', history.stopped_by, history.epochs, len(history.recording.frames))"
    epoch = "return +((document.querySelector('.dg-live') || {dataset: {}}).dataset.epoch || 0)"
    beyond = (
        "const e = +((document.querySelector('.dg-live') || {dataset: {}}).dataset.epoch || 0); return e > %d ? e : 0"
    )
    state = "return (document.querySelector('.dg-live') || {dataset: {}}).dataset.state"
    click = "document.querySelector('.dg-live-' + arguments[0]).click()"
    open_notebook(driver, lab([train, report]))
    run_next_cell(driver)  # only the training cell: a request queued behind it would wait for it anyway
    first = wait(driver, epoch)
    assert wait(driver, beyond % (first + 2)) > first + 2  # it updates while the cell runs
    driver.execute_script(click, "pause")
    wait(driver, state + " === 'paused'")
    held = driver.execute_script(epoch)
    time.sleep(2)
    assert driver.execute_script(epoch) == held  # paused: no epoch runs
    driver.execute_script(click, "step")  # full batch: one step is one epoch
    wait(driver, f"return {epoch[7:]} === {held + 1}")
    time.sleep(1)
    assert driver.execute_script(epoch) == held + 1
    driver.execute_script(click, "pause")  # the same button now says Resume
    wait(driver, beyond % (held + 3))
    driver.execute_script(click, "stop")
    wait(driver, state + " === 'stopped'")
    run_next_cell(driver)
    text = wait(
        driver,
        "return Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
        ".map(e => e.textContent).find(t => t.includes('RESULT')) || ''",
    )
    stopped_by, epochs, frames = text.split("RESULT")[1].split()[:3]
    assert stopped_by == "stopped" and held + 3 < int(epochs) < 5000 and int(frames) >= 1
    assert severe_errors(driver) == []
