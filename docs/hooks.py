"""MkDocs hooks for the dagrad site.

1. Show the docstrings' doctests as Python sessions in the API reference.

Our docstrings hold bare doctest paragraphs (`>>> x = ...` then the expected output), which
pytest runs as they are. Markdown would read them as a paragraph (and `[0.5, 0.5]` as a link),
so this wraps each such paragraph, outside fenced code, in a ```pycon fence before the page is
parsed.

2. The notebooks are executed as the site is built (mkdocs-jupyter), so their outputs show.
   The PyTorch notebook needs PyTorch: without it, it is shown unexecuted, with a note in the
   build log (as docs/pictures.py skips the screenshot without Chromium). DAGRAD_DOCS_EXECUTE=0
   shows every notebook unexecuted (CI does that: the test suite has already run them).

3. Nothing is fetched from the network when a page is viewed: on a notebook page with saved
   widget state, nbconvert's template adds a script that loads Jupyter's widget manager from
   unpkg.com (to replay the state, which our anywidget player cannot use in a static page
   anyway); it is removed.
"""

import importlib.util
import logging
import os
import re

from markdown import Extension
from markdown.preprocessors import Preprocessor

FENCE = re.compile(r"^\s*(```|~~~)")
PROMPT = re.compile(r"^(\s*)>>> ")


class _DoctestFences(Preprocessor):
    def run(self, lines):
        out, in_fence, in_session, indent = [], False, False, ""
        for line in lines:
            if in_session and not line.strip():
                out.append(indent + "```")
                in_session = False
            if not in_session and FENCE.match(line):
                in_fence = not in_fence
            elif not in_fence and not in_session and PROMPT.match(line):
                indent = PROMPT.match(line).group(1)
                out.append(indent + "```pycon")
                in_session = True
            out.append(line)
        if in_session:
            out.append(indent + "```")
        return out


class DoctestFences(Extension):
    def extendMarkdown(self, md):
        # before the fenced-code preprocessors (pymdownx.superfences registers at 25)
        md.preprocessors.register(_DoctestFences(md), "doctest_fences", 29)


LOG = logging.getLogger("mkdocs.hooks.dagrad")
NEEDS_TORCH = ["notebooks/07_outgrow_to_pytorch.ipynb"]
WIDGET_LOADER = re.compile(r"<script>\s*\(function\(\) \{\s*function addWidgetsRenderer\(\).*?</script>", re.S)


def on_config(config):
    config.markdown_extensions.append(DoctestFences())
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None:
        if os.environ.get("DAGRAD_DOCS_EXECUTE") == "0":
            jupyter.config["execute"] = False
            LOG.info("DAGRAD_DOCS_EXECUTE=0: the notebooks are shown without running them")
        elif importlib.util.find_spec("torch") is None:
            jupyter.config["execute_ignore"] = list(jupyter.config["execute_ignore"]) + NEEDS_TORCH
            LOG.info("PyTorch is not installed: %s shown without running it (pip install torch)", NEEDS_TORCH[0])
    return config


def on_post_page(output, page, config):
    if page.file.src_uri.endswith(".ipynb"):
        output = WIDGET_LOADER.sub("", output)  # present when the notebook saved widget state
        if "unpkg.com" in output:
            raise RuntimeError(f"{page.file.src_uri}: the widget loader of nbconvert's template changed; update docs/hooks.py")
    return output
