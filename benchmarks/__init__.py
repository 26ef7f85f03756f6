"""dagrad's benchmarks: `python -m benchmarks [--quick] [--out PATH]` (see `__main__`)."""
