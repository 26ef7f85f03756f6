"""Op coverage that a test-writer can see and control, constants in programs, cases that print
as runnable code, quiet tracebacks, and st.from_type(Program) (issue 26 items 2, 4, 6)."""

import math
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from autograd import Value, define_op
from autograd.testing import Case, Constant, Node, Program, gradcheck, programs, programs_and_inputs, register_domain

QUICK = settings(max_examples=60, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CUBE = define_op("cov_cube", lambda x: x**3, [lambda g, out, x: g * 3 * x * x])


@QUICK
@given(programs(ops=["add", "mul", "tanh", "exp", CUBE], required_ops=[CUBE], max_nodes=6))
def test_required_ops_are_on_the_way_to_every_output(program):
    # the output depends on a cov_cube node: walk back from the last value
    needed, stack = set(), [program.n_inputs + len(program) - 1]
    while stack:
        k = stack.pop()
        if k >= program.n_inputs and k not in needed:
            needed.add(k)
            stack.extend(program.nodes[k - program.n_inputs].indices)
    assert any(program.nodes[k - program.n_inputs].op is CUBE for k in needed)


def test_required_ops_must_be_among_ops():
    with pytest.raises(InvalidArgument, match="'cov_cube' is not among ops"):
        programs(ops=["add"], required_ops=[CUBE])


def test_events_appear_in_hypothesis_statistics(tmp_path):
    test_file = tmp_path / "test_events.py"
    test_file.write_text(textwrap.dedent('''
        from hypothesis import given, settings
        from autograd.testing import programs_and_inputs

        @settings(max_examples=40, database=None)
        @given(programs_and_inputs(ops=["tanh", "mul"], max_nodes=3))
        def test_events(case):
            pass
    '''))
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:nbmake", "--hypothesis-show-statistics",
         str(test_file)], capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": root},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "op tanh" in result.stdout and "op mul" in result.stdout
    assert "tanh: x < 0" in result.stdout and "tanh: x > 0" in result.stdout and "mul: input 1" in result.stdout


def test_an_op_whose_domain_is_too_narrow_to_hit_is_a_clear_error():
    narrow = define_op("cov_narrow", math.sqrt, [lambda g, out, x: g / (2 * out)])
    register_domain(narrow, accepts=lambda x: 0.5 <= x <= 0.52, description="0.5 <= x <= 0.52")
    with pytest.raises(InvalidArgument, match=r"op 'cov_narrow': its domain \(0.5 <= x <= 0.52\) admits \d+ of 400"):
        programs_and_inputs(ops=[narrow, "mul"])
    assert programs_and_inputs(ops=[narrow, "mul"], min_value=0.5, max_value=0.52) is not None  # inside: fine


def test_programs_may_contain_constants_and_print_them():
    p = Program(1, [("pow", 0, 2.0), ("mul", Constant(3.0), 1), ("sub", 2, 0)])
    assert p.nodes[0] == Node(p.nodes[0].op, (0, Constant(2.0))) and p.nodes[0].indices == (0,)
    assert p.source.splitlines()[1:3] == ["    v1 = x0 ** 2.0", "    v2 = 3.0 * v1"]
    assert p(1.5) == 3.0 * 1.5**2 - 1.5
    x = Value(1.5)
    assert gradcheck(p, [1.5]) and p.run([x]).data == p(1.5)
    with pytest.raises(ValueError, match="reads no value"):
        Program(1, [("add", 2.0, 3.0)])


@QUICK
@given(programs_and_inputs(ops=["add", "mul", "pow", "tanh", "leaky_relu"], constants=True,
                           constant_args={"pow": (1,), "leaky_relu": (1,)}, max_nodes=5))
def test_programs_with_constants_are_checked_like_any_program(case):
    program, inputs = case
    for node in program.nodes:
        if node.op.name in ("pow", "leaky_relu"):
            assert isinstance(node.args[1], Constant)
        assert node.indices  # every node reads a value
    assert gradcheck(program, inputs)


def test_a_case_prints_as_runnable_source_and_the_call():
    bump = define_op("cov_bump", lambda x: x + 1, [lambda g, out, x: g])
    case = Case(Program(2, [("mul", 0, 1), (bump, 2)]), [0.5, 2.0])
    text = repr(case)
    assert text.splitlines()[0] == "from autograd import OPS" and text.splitlines()[-1] == "program(0.5, 2.0)"
    namespace = {}
    exec(text.rsplit("\n", 1)[0], namespace)
    assert namespace["program"](Value(0.5), Value(2.0)).data == 2.0
    program, inputs = case
    assert program is case.program and inputs == (0.5, 2.0)


def test_a_failing_property_test_reads_like_code_without_the_checkers_frames(tmp_path):
    test_file = tmp_path / "test_user_op.py"
    test_file.write_text(textwrap.dedent('''
        import math
        from hypothesis import given, settings
        from autograd import define_op
        from autograd.testing import gradcheck, programs_and_inputs

        bad = define_op("user_bad_log1p", math.log1p, [lambda grad, out, x: grad / (2 + x)])

        @settings(max_examples=100, database=None)
        @given(programs_and_inputs(ops=[bad, "mul"], max_nodes=4))
        def test_my_op(case):
            program, inputs = case
            assert gradcheck(program, inputs)
    '''))
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # As a user runs it on their machine: under CI pytest prints the whole message again in its
    # summary and Hypothesis adds a @reproduce_failure line, which is right there but not the point.
    local = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:nbmake", str(test_file)],
        capture_output=True, text=True, cwd=tmp_path, env={**local, "PYTHONPATH": root},
    )
    out = result.stdout
    assert result.returncode == 1
    assert "def run_checks" not in out and "def gradcheck" not in out  # no checker source in the traceback
    assert "    v1 = OPS['user_bad_log1p'](x0)" in out and "program(0.0)" in out
    assert "node at fault: v1 = user_bad_log1p(x0=0)" in out
    assert len(out.splitlines()) < 60


def test_from_type_program_and_case():
    from autograd.testing import strategies  # noqa: F401  (registers them; an installed dagrad does it via its hypothesis entry point)

    program = find(st.from_type(Program), lambda p: True, settings=settings(database=None))
    assert isinstance(program, Program) and len(program) == 1
    case = find(st.from_type(Case), lambda c: True, settings=settings(database=None))
    assert isinstance(case, Case) and len(case.inputs) == case.program.n_inputs


def test_the_hypothesis_entry_point_is_declared():
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    text = open(os.path.join(root, "pyproject.toml"), encoding="utf-8").read()
    assert '[project.entry-points.hypothesis]\ndagrad = "autograd.testing.hypothesis_hook:register"' in text


def test_program_docstring_describes_its_fields():
    doc = Program.__doc__
    assert "`nodes`, a tuple of `Node`s" in doc and "(op, *args)" in doc
    p = Program(1, [("neg", 0)])
    assert isinstance(p.nodes[0], Node) and p.nodes[0].args == (0,)


@pytest.mark.parametrize("first", ["from autograd.testing import programs", "import hypothesis"])
def test_the_entry_point_as_installed_works_whatever_is_imported_first(tmp_path, first):
    # dagrad installed: Hypothesis runs the hook while it is imported, possibly from inside the
    # import of autograd.testing.strategies (whose first import is hypothesis). A dist-info on
    # the path stands for the installation.
    import os

    info = tmp_path / "dagrad_entry-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: dagrad-entry\nVersion: 0\n")
    (info / "entry_points.txt").write_text("[hypothesis]\ndagrad = autograd.testing.hypothesis_hook:register\n")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = (
        f"{first}\n"
        "from hypothesis import find, settings, strategies as st\n"
        "from autograd.testing import Case, Program\n"
        "print(type(find(st.from_type(Program), lambda p: True, settings=settings(database=None))).__name__)\n"
        "print(type(find(st.from_type(Case), lambda c: True, settings=settings(database=None))).__name__)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{root}"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Program", "Case"]
