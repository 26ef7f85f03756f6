"""A micrograd-style engine in about 60 lines (Karpathy's design: a closure per node), with
switches for the two classic bugs a student makes. tests/test_check_engine.py checks it against
dagrad with `autograd.testing.check_engine`; docs/guides/gradient-checks.md shows the same."""

import math


def make_engine(overwrite=False, wrong_pow=False, tanh_ignores_upstream=False):
    """The Value class of the engine; `overwrite`: gradients assigned instead of accumulated;
    `wrong_pow`: d(x**k)/dx written k * x**k instead of k * x**(k-1); `tanh_ignores_upstream`:
    tanh's rule forgets `* out.grad`."""

    class Value:
        def __init__(self, data, children=()):
            self.data, self.grad, self._prev, self._backward = data, 0.0, children, lambda: None

        def _add_grad(self, g):
            if overwrite:
                self.grad = g
            else:
                self.grad += g

        def __add__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data + other.data, (self, other))

            def _backward():
                self._add_grad(out.grad)
                other._add_grad(out.grad)

            out._backward = _backward
            return out

        def __mul__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data * other.data, (self, other))

            def _backward():
                self._add_grad(other.data * out.grad)
                other._add_grad(self.data * out.grad)

            out._backward = _backward
            return out

        def __pow__(self, k):
            assert isinstance(k, (int, float)), "only numbers as exponents"
            out = Value(self.data**k, (self,))

            def _backward():
                self._add_grad(k * self.data ** (k if wrong_pow else k - 1) * out.grad)

            out._backward = _backward
            return out

        def tanh(self):
            t = math.tanh(self.data)
            out = Value(t, (self,))

            def _backward():
                self._add_grad((1 - t * t) * (1.0 if tanh_ignores_upstream else out.grad))

            out._backward = _backward
            return out

        def __neg__(self):
            return self * -1

        def __sub__(self, other):
            return self + (-other)

        def __truediv__(self, other):
            return self * other**-1

        def __radd__(self, other):
            return self + other

        def __rmul__(self, other):
            return self * other

        def __rsub__(self, other):
            return other + (-self)

        def __rtruediv__(self, other):
            return other * self**-1

        def backward(self):
            topo, visited = [], set()

            def build(v):
                if v not in visited:
                    visited.add(v)
                    for child in v._prev:
                        build(child)
                    topo.append(v)

            build(self)
            self.grad = 1.0
            for v in reversed(topo):
                v._backward()

    return Value
