"""The hook of dagrad's `hypothesis` entry point: `st.from_type(Program)` and `st.from_type(Case)`
draw from `programs()` and `programs_and_inputs()` in any project with dagrad installed.

Hypothesis calls `register` while it is being imported, possibly from inside the import of
`autograd.testing.strategies` itself (whose first line imports hypothesis): so this module
imports nothing of the strategies, and the registered strategies are deferred to the first draw.
"""

from __future__ import annotations


def register() -> None:
    """Register the type strategies (idempotent)."""
    from hypothesis import strategies as st

    from autograd.testing.program import Case, Program

    def program_strategy():
        from autograd.testing.strategies import programs

        return programs()

    def case_strategy():
        from autograd.testing.strategies import programs_and_inputs

        return programs_and_inputs()

    st.register_type_strategy(Program, st.deferred(program_strategy))
    st.register_type_strategy(Case, st.deferred(case_strategy))
