"""`Module`: the base of every model. It finds parameters, names them, and saves/loads them.

A Module's parameters are the `Value`s reachable through its attributes: a Value attribute, a
sub-Module, or a list/tuple of either. Names are the attribute path joined by dots
(`layers.0.neurons.1.w.0`), in attribute-definition order, so they are stable across runs.
A Value reachable twice (a bias shared by several neurons) is one parameter, named where it is
first found.

Saved models are JSON: a format tag and version, the architecture (class name and constructor
arguments) and every parameter by name. Nothing in the file is executed: only classes derived
from Module (registered by name when they are defined) can be rebuilt.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from typing import Iterator, Union

from autograd import Value, write_atomically
from autograd.checks import too_large_for_float

__all__ = ["Module", "ModelFileError", "load", "FORMAT", "FORMAT_VERSION"]

FORMAT = "dagrad.nn.Module"
FORMAT_VERSION = 1

# A model file larger than this is refused before it is read (about 10 million parameters).
MAX_FILE_BYTES = 512 * 1024 * 1024
# A config may ask for more parameters than its file holds only up to this many (then the
# parameters' names are checked one by one); beyond it `load` refuses before building anything.
_SMALL_MODEL = 100_000

# Every Module subclass by class name, so a saved architecture can be rebuilt without eval/pickle.
_REGISTRY: dict = {}

PathLike = Union[str, os.PathLike]


class ModelFileError(ValueError):
    """A model file that cannot be loaded: not JSON, truncated, wrong format or version, wrong
    shape, or non-finite numbers. The message names the path and the problem."""


class Module:
    """Base class of models: parameters, names, gradients, state dicts and JSON files.

    Subclasses define `forward` and, to be saveable, `config()` (their constructor arguments).
    Parameters are labelled with their dotted names after every constructor runs, so graph
    pictures can cluster them (`autograd.render(..., clusters="prefix")`).

    >>> from autograd import Value
    >>> class Scale(Module):
    ...     def __init__(self, factor=2.0):
    ...         self.factor = Value(factor)
    ...     def forward(self, x):
    ...         return self.factor * x
    ...     def config(self):
    ...         return {"factor": self.factor.data}
    >>> m = Scale()
    >>> m(3.0).data, m.named_parameters()[0][0], m.factor.label
    (6.0, 'factor', 'factor')
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_labels_parameters", False):

            def labelled_init(self, *args, __init=init, **kw):
                __init(self, *args, **kw)
                # Inner constructors label first; the outermost one runs last and wins.
                self.label_parameters()

            labelled_init.__doc__ = init.__doc__
            labelled_init.__name__ = init.__name__
            labelled_init.__qualname__ = init.__qualname__
            labelled_init.__wrapped__ = init
            labelled_init._labels_parameters = True
            cls.__init__ = labelled_init

    # -- calling ------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        """Compute the model's output; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not defined")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- parameters ----------------------------------------------------------------------
    def _walk(self, prefix: str, seen: set) -> Iterator[tuple]:
        for attribute, item in vars(self).items():
            if attribute.startswith("_"):
                continue
            yield from _walk_item(item, prefix + attribute, seen)

    def named_parameters(self) -> list:
        """[(dotted name, Value)] for every parameter, each Value once, in definition order.

        >>> import nn
        >>> [name for name, _ in nn.Neuron(2, seed=0).named_parameters()]
        ['w.0', 'w.1', 'b']
        """
        return list(self._walk("", set()))

    def parameters(self) -> list:
        """Every parameter Value, each once, in the order of `named_parameters`.

        >>> import nn
        >>> len(nn.MLP(2, [3, 1], seed=0).parameters())   # (2 + 1) * 3 + (3 + 1) * 1
        13
        """
        return [value for _, value in self.named_parameters()]

    def label_parameters(self, prefix: str = "") -> None:
        """Set each parameter's `label` to its dotted name (done after every constructor).

        >>> import nn
        >>> nn.Layer(2, 2, seed=0).neurons[1].w[0].label
        'neurons.1.w.0'
        """
        for name, value in self.named_parameters():
            value.label = prefix + name

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (`grad` reads 0.0, `has_grad` is False).

        >>> import nn
        >>> n = nn.Neuron(1, seed=0); n([2.0]).backward(); n.zero_grad()
        >>> [p.grad for p in n.parameters()]
        [0.0, 0.0]
        """
        for value in self.parameters():
            value.zero_grad()

    # -- state ------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """{dotted name: float} for every parameter, in `named_parameters` order.

        >>> import nn
        >>> nn.Neuron(1, seed=0).state_dict()
        {'w.0': 0.6888437030500962, 'b': 0.0}
        """
        return {name: value.data for name, value in self.named_parameters()}

    def load_state_dict(self, state: dict) -> None:
        """Set every parameter's data from `state` ({name: number}, e.g. from `state_dict`).

        The names must match exactly (a missing or unexpected name is a ValueError listing
        them) and every number must be a finite real; nothing changes unless all are valid.

        >>> import nn
        >>> n = nn.Neuron(1, seed=0); n.load_state_dict({"w.0": 2.0, "b": 0.5}); n([3.0]).data
        6.5
        """
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, dict):
            raise TypeError(f"{where}: expected a dict of name -> number, got {type(state).__name__}")
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing {len(missing)} parameter(s): {_shorten(missing)}")
            if unexpected:
                parts.append(f"unexpected {len(unexpected)} name(s): {_shorten(unexpected)}")
            raise ValueError(f"{where}: names do not match the model ({'; '.join(parts)})")
        numbers_by_name = {}
        for name in params:
            number = state[name]
            if isinstance(number, Value):
                number = number.data
            if isinstance(number, bool) or not isinstance(number, numbers.Real):
                raise TypeError(f"{where}: {name} must be a real number, got {type(number).__name__}: {number!r}")
            try:
                number = float(number)
            except OverflowError:  # an int of hundreds of digits (a JSON file can hold one)
                raise ValueError(f"{where}: {name} is {too_large_for_float(number)}, too large for a float") from None
            if not math.isfinite(number):
                raise ValueError(f"{where}: {name} is {number!r}; parameters must be finite")
            numbers_by_name[name] = number
        for name, value in params.items():
            value.data = numbers_by_name[name]

    def config(self) -> dict:
        """The constructor's keyword arguments, as JSON-able data (needed by `save`)."""
        raise NotImplementedError(
            f"{type(self).__name__}.config is not defined; define it (return the constructor's "
            "keyword arguments) to save this model"
        )

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{key}={value!r}" for key, value in self.config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"

    # -- files --------------------------------------------------------------------------------
    def save(self, path: PathLike) -> str:
        """Write the architecture and every parameter to `path` as JSON, atomically; return the path.

        The file is written under a temporary name in the same directory and renamed, so it is
        either the complete new file or not there. Floats are written with `repr`, so they load
        back bit for bit. A non-finite parameter (nan, inf) is refused: it would not load.

        >>> import os, tempfile, nn
        >>> model = nn.MLP(2, [3, 1], seed=0)
        >>> path = model.save(os.path.join(tempfile.mkdtemp(), "model.json"))
        >>> nn.load(path).state_dict() == model.state_dict()
        True
        """
        path = os.fspath(path)
        state = self.state_dict()
        for name, number in state.items():
            if not math.isfinite(number):
                raise ValueError(
                    f"save: parameter {name} is {number!r}; refusing to write {path!r} (it would not load)"
                )
        document = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "class": type(self).__name__,
            "config": self.config(),
            "parameters": state,
        }
        text = json.dumps(document, indent=1, allow_nan=False) + "\n"
        write_atomically(path, text, where=f"save {path}")
        return path

    @classmethod
    def load(cls, path: PathLike) -> "Module":
        """Rebuild a model saved by `save`. Called on a subclass (`MLP.load`), the file must hold
        that class (or a subclass of it).

        Raises ModelFileError (a ValueError) naming the path and the problem for a file that is
        not JSON, truncated, of another format or version, of the wrong shape, or holding a
        non-finite number; FileNotFoundError for a missing file.

        >>> import os, tempfile, nn
        >>> path = nn.Neuron(2, seed=0).save(os.path.join(tempfile.mkdtemp(), "n.json"))
        >>> nn.Neuron.load(path)
        Neuron(nin=2, activation='relu', init='uniform')
        """
        path = os.fspath(path)
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise ModelFileError(
                f"load {path!r}: the file is larger than {MAX_FILE_BYTES} bytes (nn.module.MAX_FILE_BYTES)"
            )
        model = _from_document(_parse(raw, path), path)
        if not isinstance(model, cls):
            raise ModelFileError(f"load {path!r}: the file holds a {type(model).__name__}, not a {cls.__name__}")
        return model


def load(path: PathLike) -> Module:
    """Rebuild whatever model `Module.save` wrote to `path` (see `Module.load`).

    >>> import os, tempfile, nn
    >>> path = nn.MLP(2, [4, 1], seed=1).save(os.path.join(tempfile.mkdtemp(), "m.json"))
    >>> nn.load(path).sizes
    [4, 1]
    """
    return Module.load(path)


# -- helpers ---------------------------------------------------------------------------------


def _walk_item(item, name: str, seen: set) -> Iterator[tuple]:
    if isinstance(item, Value):
        if item not in seen:
            seen.add(item)
            yield name, item
    elif isinstance(item, Module):
        yield from item._walk(name + ".", seen)
    elif isinstance(item, (list, tuple)):
        for index, element in enumerate(item):
            yield from _walk_item(element, f"{name}.{index}", seen)


def _shorten(names: list, limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _reject_constant(name: str):
    raise ModelFileError(f"holds {name}; parameters must be finite")


def _parse(raw: bytes, path: str) -> dict:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ModelFileError(f"load {path!r}: not a model file (not UTF-8 text: {error})") from None
    if not text.strip():
        raise ModelFileError(f"load {path!r}: the file is empty")
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except ModelFileError as error:
        raise ModelFileError(f"load {path!r}: {error}") from None
    except json.JSONDecodeError as error:
        raise ModelFileError(
            f"load {path!r}: not valid JSON (truncated or not a model file?): {error.msg} "
            f"at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise ModelFileError(f"load {path!r}: JSON nested too deeply; not a model file") from None
    except ValueError as error:  # e.g. an integer of thousands of digits (Python's int limit)
        raise ModelFileError(f"load {path!r}: a number in the file cannot be read: {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f'load {path!r}: not a dagrad model file (no "format": "{FORMAT}")')
    version = document.get("version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise ModelFileError(
            f"load {path!r}: unsupported format version {version!r} (this dagrad reads version {FORMAT_VERSION})"
        )
    for key, kind in (("class", str), ("config", dict), ("parameters", dict)):
        if not isinstance(document.get(key), kind):
            raise ModelFileError(f'load {path!r}: "{key}" is missing or not a {kind.__name__}')
    return document


def _from_document(document: dict, path: str) -> Module:
    name = document["class"]
    cls = _REGISTRY.get(name)
    if cls is None:
        known = ", ".join(sorted(_REGISTRY))
        raise ModelFileError(f"load {path!r}: unknown model class {name!r} (known: {known}); import its module first")
    # Check the size the config asks for against the parameters in the file BEFORE building
    # it: a small file must not make load allocate a huge model.
    count = getattr(cls, "parameter_count", None)
    if count is not None:
        try:
            expected = count(**document["config"])
        except (TypeError, ValueError, ArithmeticError) as error:
            raise ModelFileError(f"load {path!r}: cannot build {name} from its config: {error}") from None
        found = len(document["parameters"])
        # A model no bigger than the file (or small anyway) is built, and load_state_dict names
        # the missing and unexpected parameters; a bigger one is refused here.
        if expected > max(found, _SMALL_MODEL):
            raise ModelFileError(
                f"load {path!r}: wrong shape for {name}: its config asks for {expected} parameters, the file holds {found}"
            )
    try:
        model = cls(**document["config"])
    except (TypeError, ValueError, ArithmeticError) as error:
        raise ModelFileError(f"load {path!r}: cannot build {name} from its config: {error}") from None
    try:
        model.load_state_dict(document["parameters"])
    except (TypeError, ValueError, ArithmeticError) as error:
        raise ModelFileError(f"load {path!r}: wrong shape or values for {name}: {error}") from None
    return model
