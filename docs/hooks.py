"""MkDocs hook: show the docstrings' doctests as Python sessions in the API reference.

Our docstrings hold bare doctest paragraphs (`>>> x = ...` then the expected output), which
pytest runs as they are. Markdown would read them as a paragraph (and `[0.5, 0.5]` as a link),
so this wraps each such paragraph, outside fenced code, in a ```pycon fence before the page is
parsed.
"""

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


def on_config(config):
    config.markdown_extensions.append(DoctestFences())
    return config
