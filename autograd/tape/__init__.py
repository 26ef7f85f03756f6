"""The compiled batch path: trace a scalar function once, replay it over a batch with numpy.

A scalar graph recorded for one sample is the same for every sample, so `trace` records it
once into a tape of op-table entries and `Tape.forward` / `Tape.backward` replay it over a batch
with numpy: inputs vary per sample, parameters are shared by all samples, and their gradients
are summed over the batch.

- `record.py`  recording: run the function once on Values, guards on data-dependent branches
- `schedule.py` a tape's public schedule (`tape.schedule`): its rows and the steps that compute
  them (one per level and op), read by replay and by the PyTorch export alike
- `replay.py`  the `Tape`: its schedule compiled for numpy, forward and backward
- `arrays.py`  ops on numpy arrays, and the core's hook so rules' table ops run on arrays
- `torch.py`   a tape as readable PyTorch source, or as a `torch.nn.Module`

The tape is an extension, not part of the core: it reads the graph through public names
(`topological_order`, `parents`, `op_entry`, `apply`) and plugs in through the core's one hook,
`autograd.value.tracing`. numpy is imported by this package only (`import autograd` stays light).

>>> import numpy as np
>>> from autograd import Value
>>> w = Value(3.0)
>>> tape = trace(lambda x: w * x, [1.0], params=[w])
>>> tape.forward(np.array([[1.0], [2.0]]))
[array([3., 6.])]
"""

from autograd.tape import arrays as _arrays  # noqa: F401 - registers the array hook
from autograd.tape.record import trace
from autograd.tape.replay import Tape, TraceError

__all__ = ["trace", "Tape", "TraceError"]
