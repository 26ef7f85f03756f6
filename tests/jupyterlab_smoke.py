"""A manual check, not collected by pytest: the explorer widget in a real JupyterLab.

Needs jupyterlab and anywidget in this Python (`make notebooks` installs both), plus Debian's
chromium and chromium-driver. Starts JupyterLab on a free local port with a notebook that
shows `explore(E)` for the 2-2-2 network, runs it in headless Chromium, steps with the arrow
keys, and saves a screenshot:

    .venv/bin/python tests/jupyterlab_smoke.py [out.png]
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CELL = """
import sys; sys.path.insert(0, {here!r})
from explore_graphs import tutorial_network
from autograd import explore
E, params = tutorial_network()
explore(E, title="In JupyterLab")
"""


def main(out: str) -> None:
    from selenium import webdriver  # here, not at the top: pytest imports this file for doctests
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.keys import Keys

    work = tempfile.mkdtemp(prefix="dagrad-lab-")
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [],
                           "source": CELL.format(here=HERE)}],
                "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
                "nbformat": 4, "nbformat_minor": 5}
    with open(os.path.join(work, "demo.ipynb"), "w") as f:
        json.dump(notebook, f)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    jupyter = os.path.join(os.path.dirname(sys.executable), "jupyter")
    lab = subprocess.Popen([jupyter, "lab", "--no-browser", f"--port={port}", "--IdentityProvider.token=smoke",
                            f"--ServerApp.root_dir={work}", "--LabApp.expose_app_in_browser=True", "--allow-root"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                f"--user-data-dir={os.path.join(work, 'profile')}", "--window-size=1400,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    try:
        for _ in range(60):  # the server's start
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        driver.get(f"http://127.0.0.1:{port}/lab/tree/demo.ipynb?token=smoke")
        wait(driver, "return !!(window.jupyterapp && document.querySelector('.jp-Notebook'))")
        time.sleep(3)  # the kernel
        driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        wait(driver, "return !!document.querySelector('.dagrad-explorer .dg-root')")
        root = driver.find_element("css selector", ".dagrad-explorer .dg-root")
        root.click()
        for _ in range(5):
            root.send_keys(Keys.ARROW_RIGHT)
        assert root.get_attribute("data-frame") == "5", root.get_attribute("data-frame")
        root.send_keys(Keys.END)
        w5 = driver.execute_script("return Array.from(document.querySelectorAll('.dg-value'))"
                                   ".find(g => g.querySelector('text').textContent === 'w5').getAttribute('data-grad')")
        assert round(float(w5), 9) == 0.082167041, w5
        xs = driver.execute_script("return new Set(Array.from(document.querySelectorAll('.dg-value text.dg-name')).map(t => t.getAttribute('x'))).size")
        assert xs > 5, "node labels are not laid out"
        driver.execute_script("const s = document.querySelector('.dg-slider'); s.value = 61; s.dispatchEvent(new Event('input'))")
        time.sleep(0.5)
        driver.save_screenshot(out)
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not severe, severe
        print(f"JupyterLab: the widget renders, steps with the arrow keys, ends at dE/dw5 = {w5}; screenshot {out}")
    finally:
        driver.quit()
        lab.terminate()
        lab.wait(10)
        shutil.rmtree(work, ignore_errors=True)


def wait(driver, script: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if driver.execute_script(script):
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for: {script}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "jupyterlab_smoke.png")
