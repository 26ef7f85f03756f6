"""Refresh the screenshot of the explorer stored in notebook 03 (a markdown cell's attachment).

The notebooks are stored without outputs, so a reader on a code host, where no kernel runs,
sees no player and no picture; a markdown cell's attachment is shown there, in JupyterLab and
in HTML exports alike. Run this from the repository root when the explorer's look changes:

    python notebooks/player_still.py

It needs Chromium, as `make docs` does: docs/pictures.py takes the screenshot (the 2-2-2
network at the step where w5 receives dE/dw5), so both pictures show the same frame.
"""

import base64
import io
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NOTEBOOK = os.path.join(HERE, "03_watching_backprop.ipynb")
NAME = "player_w5.png"


def main() -> None:
    sys.path.insert(0, os.path.join(HERE, "..", "docs"))
    sys.path.insert(0, os.path.join(HERE, ".."))
    import pictures  # docs/pictures.py
    from autograd import write_atomically
    from PIL import Image

    shot = os.path.join(HERE, "..", "out", NAME)
    os.makedirs(os.path.dirname(shot), exist_ok=True)
    if not pictures.explorer_screenshot(shot, size=(1100, 760)):
        raise SystemExit("no Chromium: the screenshot was not taken")
    # A 64-colour palette keeps the notebook small (the picture is flat colours and text).
    buffer = io.BytesIO()
    Image.open(shot).convert("RGB").quantize(64).save(buffer, "PNG", optimize=True)
    with open(NOTEBOOK, encoding="utf-8") as f:
        notebook = json.load(f)
    cells = [c for c in notebook["cells"] if f"attachment:{NAME}" in "".join(c["source"])]
    if len(cells) != 1:
        raise SystemExit(f"{NOTEBOOK}: expected one cell showing attachment:{NAME}, found {len(cells)}")
    cells[0]["attachments"] = {NAME: {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii")}}
    text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    write_atomically(NOTEBOOK, text.encode("utf-8"))
    print(f"{NOTEBOOK}: {NAME}, {len(buffer.getvalue()) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
