"""The architecture, checked: modules talk through public names, and the import graph has no circles
where the design says there are none.

Every module of `autograd/` and `nn/` is parsed (ast, nothing is imported). A *private name* is
one that starts with one underscore (`_pass`, `_release`; dunders such as `__init__` are public
protocol). A module may use the private names it defines itself; another module's private names
only if both are *core friends* (below). A use is any of

- `from autograd.engine import _release` (or a relative import of it);
- `engine._release`, where `engine` is a project module imported by the module;
- `node._pass`, an attribute of any object, when `_pass` is a private name the project defines
  somewhere and this module does not define (assign, def, class or `__slots__`) itself.
  `self._x` and `cls._x` are a class's own business and are not checked.

Existing violations that their owners are removing now are listed in `TEMPORARY`, each with the
module that has it; the test fails too when one of them no longer occurs, so the list only
shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "nn")

# The core friends: modules that read each other's private names, and why. The node's slots
# (`_pass`, `_p0`, `_p1`, `_op`, `_grad`) and the marks `_UNSEEN`, `_CONSTANT` are the engine's
# data structure, written where nodes are made and read where they are walked, on the hot path:
# an accessor call per node would cost about as much as the op itself. Grad mode's counter is read
# by every op for the same reason; the op table attaches methods to Value through `opcall`.
# Nothing outside this set sees those names: the rest of the code uses the public API
# (`parents`, `op_entry`, `requires_grad`, `grad`, `observe_backward`, `tracing`, ...).
CORE_FRIENDS = {
    "autograd.value": "the node: defines its slots and the marks; rebuilds a copied node's slots (opcall._slots)",
    "autograd.opcall": "makes nodes: fills their slots and reads grad mode's counter on every op",
    "autograd.gradmode": "grad mode's counter and context variable, read by every op",
    "autograd.engine": "walks the nodes: `_pass` holds a node's gradient while a pass runs",
    "autograd.opentry": "makes op entries: attaches (and detaches) Value's methods through opcall",
}

# TEMPORARY: private uses that are being removed, {(module, private name): who removes it}.
# Empty since issue 23; an entry that no longer occurs fails `test_temporary_list_is_not_stale`.
TEMPORARY: dict[tuple[str, str], str] = {
}


# -- reading the modules ----------------------------------------------------------------------


def _modules() -> dict[str, Path]:
    """{dotted module name: path} for every module of the packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()
TREES = {name: ast.parse(path.read_text(encoding="utf-8"), str(path)) for name, path in MODULES.items()}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def absolute(module: str, node: ast.ImportFrom) -> str:
    """The dotted name an ImportFrom in `module` imports from (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package(module):
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def defined_names(tree: ast.Module) -> set[str]:
    """Every name a module defines: functions, classes, assigned names and attributes (`x._a = `),
    parameters, `__slots__` entries, annotated class fields."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.attr)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets):
            names.update(c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant) and isinstance(c.value, str))
        elif isinstance(node, ast.keyword) and node.arg:
            names.add(node.arg)
    return names


DEFINED = {name: defined_names(tree) for name, tree in TREES.items()}
PRIVATE_ANYWHERE = {n for names in DEFINED.values() for n in names if is_private(n)}


def friends(a: str, b: str) -> bool:
    return a in CORE_FRIENDS and b in CORE_FRIENDS


def private_uses(module: str) -> set[tuple[str, str]]:
    """{(private name, where it comes from)} that `module` uses although it does not define it."""
    tree, own = TREES[module], DEFINED[module]
    aliases: dict[str, str] = {}  # local name -> project module it stands for
    uses = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            source = absolute(module, node)
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in MODULES:
                    aliases[alias.asname or alias.name] = full
                if source in MODULES and is_private(alias.name) and not friends(module, source):
                    uses.add((alias.name, source))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not is_private(node.attr):
            continue
        base = node.value
        if isinstance(base, ast.Name) and base.id in aliases:
            if not friends(module, aliases[base.id]) and aliases[base.id] != module:
                uses.add((node.attr, aliases[base.id]))
            continue
        if isinstance(base, ast.Name) and base.id in ("self", "cls"):
            continue
        if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "super":
            continue
        if node.attr in own or node.attr not in PRIVATE_ANYWHERE:
            continue
        owners = [m for m, names in DEFINED.items() if node.attr in names and m != module]
        if owners and all(friends(module, m) for m in owners):
            continue
        uses.add((node.attr, "an object of " + " or ".join(owners)))
    return uses


def all_violations() -> dict[tuple[str, str], str]:
    return {(module, name): where for module in MODULES for name, where in private_uses(module)}


# -- the tests ----------------------------------------------------------------------------------


def test_the_modules_are_found_and_the_friends_exist():
    assert {"autograd.value", "autograd.engine", "autograd.explorer.steps", "nn.train"} <= set(MODULES)
    assert set(CORE_FRIENDS) <= set(MODULES), set(CORE_FRIENDS) - set(MODULES)


def test_no_module_uses_another_modules_private_names():
    found = all_violations()
    new = {key: where for key, where in found.items() if key not in TEMPORARY}
    assert not new, "private names used across modules (use a public name, or ask for one):\n" + "\n".join(
        f"  {module} uses {name} from {where}" for (module, name), where in sorted(new.items())
    )


def test_temporary_list_is_not_stale():
    stale = set(TEMPORARY) - set(all_violations())
    assert not stale, f"these are fixed: delete them from TEMPORARY: {sorted(stale)}"


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from autograd.engine import _release", {"_release"}),
        ("from ..engine import _release", {"_release"}),
        ("from autograd import engine\nengine._release([])", {"_release"}),
        ("import autograd.engine as e\ne._release([])", {"_release"}),
        ("def f(node):\n    return node._pass", {"_pass"}),
        ("from autograd.engine import observe_backward, topological_order\nimport autograd.engine\n", set()),
        ("class A:\n    def f(self):\n        return self._pass", set()),
        ("def f(node):\n    node._pass = 1\n    return node._pass", set()),
        ("x = object()._replace", set()),  # not a name of this project
    ],
)
def test_the_checker_sees_each_kind_of_use(source, expected):
    # A module that is not a core friend, written in several ways (the checker itself can be wrong).
    name = "autograd.explorer.example"
    MODULES[name] = ROOT / "autograd" / "explorer" / "example.py"
    try:
        TREES[name] = ast.parse(source)
        DEFINED[name] = defined_names(TREES[name])
        assert {used for used, _ in private_uses(name)} == expected
    finally:
        del MODULES[name], TREES[name], DEFINED[name]


# -- import circles -----------------------------------------------------------------------------


def imports_of(module: str) -> set[str]:
    """The project modules `module` imports, at its top level or inside functions alike."""
    found = set()
    for node in ast.walk(TREES[module]):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in MODULES)
        elif isinstance(node, ast.ImportFrom):
            source = absolute(module, node)
            for alias in node.names:
                full = f"{source}.{alias.name}"
                found.add(full if full in MODULES else source)
    return {m for m in found if m in MODULES and m != module}


def reaches(start: str, goal: str, within: set[str]) -> bool:
    """Whether `start` imports `goal`, directly or through modules of `within`."""
    seen, stack = set(), [start]
    while stack:
        module = stack.pop()
        for imported in imports_of(module):
            if imported == goal:
                return True
            if imported in within and imported not in seen:
                seen.add(imported)
                stack.append(imported)
    return False


# The circles issue 23 names, by the groups of modules that must not import each other both ways.
# TEMPORARY: circles their owners are removing right now; the lead empties it at the end.
CIRCLES_TEMPORARY: set[tuple[str, str]] = set()  # all gone (explorer's, tape's, nn's)


def circles() -> set[tuple[str, str]]:
    explorer = {m for m in MODULES if m.startswith("autograd.explorer.")}
    groups = [
        (explorer, explorer),
        ({"autograd.tape.replay"}, {"autograd.tape.torch"}),
        ({"nn.layers", "nn.optim"}, {"nn.torch_export"}),
    ]
    found = set()
    for left, right in groups:
        inside = left | right
        for a in left:
            for b in right:
                if a != b and reaches(a, b, inside) and reaches(b, a, inside):
                    found.add((min(a, b), max(a, b)))
    return found


def test_the_circle_finder_follows_imports():
    explorer = {m for m in MODULES if m.startswith("autograd.explorer.")}
    assert reaches("autograd.explorer.steps", "autograd.engine", {"autograd.engine"})
    assert not reaches("autograd.engine", "autograd.explorer.steps", explorer | {"autograd.engine"})


def test_no_import_circles_where_the_design_has_none():
    new = circles() - CIRCLES_TEMPORARY
    assert not new, f"modules that import each other (directly or through their group): {sorted(new)}"


def test_temporary_circles_are_not_stale():
    stale = CIRCLES_TEMPORARY - circles()
    assert not stale, f"these circles are gone: delete them from CIRCLES_TEMPORARY: {sorted(stale)}"
