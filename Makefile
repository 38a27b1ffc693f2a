# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint unit format clean bench soak fuzz

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/imgtree migrate
	$(BIN)/imgtree serve --bind 127.0.0.1:8000

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

# One process by default (~17 minutes on 2 cores). `make test TEST_WORKERS=2` runs two
# pytest-xdist workers, a file each at a time (~10.5 minutes), but is not the default yet: the
# hostile suite's cost meter counts every descendant of its process, and a worker that ran the
# browser tests still has their session's Chromium (~300 MiB) as one (docs/reliability.md).
TEST_WORKERS ?= 0
test: install lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

format: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

# Benchmarks (never part of `make test`): writes docs/benchmarks.md. wrk, nginx and libvips
# come from Debian when missing (root only; without them the harness falls back, or skips the
# nginx and pyvips rows with the reason). A subset, merged into the existing report:
# `make bench BENCH_ARGS="--only r4offload,renditions --merge"`.
bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null \
		|| ! (ldconfig -p 2>/dev/null | grep -q 'libvips\.so\.42'); then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx libvips42 >/dev/null) \
			|| echo "bench: apt-get install wrk nginx libvips42 failed; continuing without" >&2; \
		else echo "bench: wrk/nginx/libvips missing and cannot apt-get them; continuing without" >&2; fi; \
	fi
	$(BIN)/python -m bench $(BENCH_ARGS)

# The 5-minute mixed-traffic soak (4 workers on Postgres, loopback only); `make test` runs a
# 12-second version of the same test. Figures: docs/reliability.md.
soak: install
	IMGTREE_SOAK_SECONDS=$${IMGTREE_SOAK_SECONDS:-300} $(BIN)/pytest tests/smoke/test_soak.py -s -p no:cacheprovider

# The hostile suite with every corpus file through all 9 upload routes on all 3 backends
# (`make test` runs all routes on SQLite, a 2-route rotating sample on memory and Postgres +
# S3), each run's CPU and RSS measured: var/hostile-costs.{json,md} (docs/security.md).
.PHONY: hostile
hostile: install
	mkdir -p var
	IMGTREE_HOSTILE_FULL=1 IMGTREE_HOSTILE_COSTS=$${IMGTREE_HOSTILE_COSTS:-var/hostile-costs.json} \
		$(BIN)/pytest tests/hostile -p no:cacheprovider

# Coverage-guided fuzzing (atheris) of the container walkers and the processor, FUZZ_SECONDS
# per target; `make test` runs a fixed count of each, ~3 s (tests/fuzz/test_fuzz_short.py). The committed
# seeds in tests/fuzz/corpus are only read: new inputs go to var/fuzz/<target>, crashing
# inputs to var/fuzz/crashes/ (replay one with `$(BIN)/python -m tests.fuzz.<target> FILE`).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= jpeg png gif webp exif processor
fuzz: install
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p var/fuzz/$$t var/fuzz/crashes && echo "fuzz: $$t for $(FUZZ_SECONDS) s" && \
		$(BIN)/python -m tests.fuzz.$$t var/fuzz/$$t tests/fuzz/corpus/$$t \
			-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=1024 -timeout=10 \
			-print_final_stats=1 -artifact_prefix=var/fuzz/crashes/$$t- || exit 1; \
	done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
