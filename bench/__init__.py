"""imgtree's benchmark harness (`make bench`, or `python -m bench [--quick]`).

Generates its own inputs with Pillow, boots `imgtree serve` on loopback and writes
docs/benchmarks.md. See docs/benchmarks.md for what each ratio means and how it is measured.
"""
