"""Test items outside tests/ that need PyTorch: the export modules' doctests and the notebook.

Without PyTorch they are skipped, with the reason, except under CI (CI=1, as `.ci/run` sets):
there they run and fail, saying PyTorch is missing, so CI cannot pass without testing the export.
tests/test_torch_export.py does the same for its own tests.
"""

import importlib.util
import os

import pytest

# Paths relative to this directory. Every example in nn/torch_export.py needs PyTorch; in
# autograd/tape/torch.py only those that import it (`to_torch_source` writes PyTorch code without it).
TORCH_EVERYWHERE = ("nn/torch_export.py", "notebooks/07_outgrow_to_pytorch.ipynb")
TORCH_DOCTESTS = ("autograd/tape/torch.py",)
HERE = os.path.dirname(os.path.abspath(__file__))


def torch_required_in_ci() -> bool:
    """True when CI is set (to anything but empty, 0 or false)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _needs_torch(item) -> bool:
    path = os.path.relpath(str(item.path), HERE).replace(os.sep, "/")
    if path in TORCH_EVERYWHERE:
        return True
    if path in TORCH_DOCTESTS:
        examples = getattr(getattr(item, "dtest", None), "examples", [])
        return any("torch" in example.source and "import" in example.source for example in examples)
    return False


def pytest_collection_modifyitems(config, items):
    if importlib.util.find_spec("torch") is not None or torch_required_in_ci():
        return
    skip = pytest.mark.skip(reason="needs PyTorch, which is not installed (make test WITH_TORCH=1 installs it; CI runs these)")
    for item in items:
        if _needs_torch(item):
            item.add_marker(skip)
