"""Public gradient-checking tools and hypothesis strategies (see issue: gradcheck)."""
