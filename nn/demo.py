"""`make demo` until the nn library lands: a small expression, its backward pass, the gradients."""

from autograd import Value


def main() -> None:
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    b = Value(6.8813735870195432, label="b")
    y = (x * w + b).tanh()
    y.label = "y"
    y.backward()
    for v in (x, w, b, y):
        print(f"{v.label}: data={v.data:.6f} grad={v.grad:.6f}")


if __name__ == "__main__":
    main()
