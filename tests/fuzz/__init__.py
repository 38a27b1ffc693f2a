"""Coverage-guided fuzz targets (atheris) for the container walkers and the processor.

Each target is a module run as `python -m tests.fuzz.<target> [libFuzzer args]`; `make fuzz`
runs them all for FUZZ_SECONDS each and `test_fuzz_short.py` runs them for a few seconds in
`make test`. Seed corpora live in `corpus/<target>/` (written by `make_seeds.py`).
"""
