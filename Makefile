# moodle_events: the two commands of the README are `make demo` and `make test`.
# TARGET: cargo's target folder (the PHP 8.4 build in the Debian 13 tree uses its own);
# NO_DEPS=1 skips scripts/deps.sh (the Debian 13 tree comes with its packages).
TARGET   ?= target
ifneq ($(TARGET),target)
export CARGO_TARGET_DIR := $(CURDIR)/$(TARGET)
endif
EXT      := $(CURDIR)/$(TARGET)/release/libmoodle_events.so
PHP_EXT  := MOODLE_EVENTS_EXT=$(EXT) php -d extension=$(EXT)
GEN      := cargo run -q --no-default-features --features gen --bin moodle-events-gen --
export RUST_BACKTRACE := 0

.PHONY: deps build demo test lint moodle-cs test-core test-embed test-php test-bridge bench bench-extension bench-smoke bench-moodle docs fuzz fuzz-core fuzz-php memcheck
.PHONY: moodle-sites test-moodle test-moodle-45 test-moodle-51 test-php84 test-phpize deb test-deb schemas mutants bench-paths

deps:
	@[ -n "$(NO_DEPS)" ] || sh scripts/deps.sh

build:
	cargo build --release

## Build the extension and walk one archive job through its life.
demo: deps build
	$(PHP_EXT) examples/demo.php

## Every test: formatting, clippy, the pure-Rust core, the in-process binding tests,
## PHPUnit against the built extension and of the Moodle bridge, a benchmark smoke run,
## bounded fuzzing and the valgrind memory check.
test: deps lint moodle-cs test-core test-embed test-php test-bridge test-php84 test-phpize test-deb test-moodle bench-smoke fuzz memcheck

lint:
	cargo fmt --check
	cargo clippy --features embed --all-targets -- -D warnings
	cargo clippy --no-default-features --features gen --all-targets -- -D warnings

## Moodle's coding style and phpdoc checks over the generated tree, as the plugin's CI runs
## them (../shared/tools/moodle-cs/check: moodle, moodle-extra, moodlecheck; 0 warnings).
moodle-cs: deps
	bash scripts/moodle-cs.sh php

test-core:
	cargo test --no-default-features

test-embed: deps
	cargo test --features embed --lib php:: -- --test-threads=1

test-php: build
	$(PHP_EXT) /usr/bin/phpunit -c tests/phpunit.xml

## The Moodle bridge (php/) in the Moodle stand-in, with three subplugins generated on the spot.
test-bridge: build
	rm -rf $(TARGET)/bridge-extra
	$(GEN) bridge $(TARGET)/bridge-extra archivingmod_forum archivingstore_s3 archivingevent_webhook >/dev/null
	BRIDGE_EXTRA=$(CURDIR)/$(TARGET)/bridge-extra $(PHP_EXT) /usr/bin/phpunit -c tests/bridge/phpunit.xml

## PHP 8.4 (Debian 13): the extension built in the project's Debian 13 tree
## (scripts/debian/trixie.sh, made once with debootstrap; needs root) into target/php84,
## then its PHPUnit suites (PHPUnit 11.5), the embed tests and the memcheck, all in there.
test-php84: build
	cargo fetch --locked
	bash scripts/debian/run-in.sh "$$(bash scripts/debian/trixie.sh)" \
		make NO_DEPS=1 TARGET=target/php84 test-php test-bridge test-embed memcheck

## The phpize route (config.m4, Makefile.frag; what PECL-style installs, setup-php and PIE
## run) in a clean copy of the tracked files: phpize, configure, make, make install into a
## staging root, then php --ri and the demo with the installed extension.
test-phpize: deps
	bash scripts/test-phpize.sh

## Debian packages in target/dist (needs root): php8.2-moodle-events from this machine's
## build, php8.4-moodle-events built in the Debian 13 tree (scripts/debian/deb.sh).
deb: build
	rm -rf target/dist
	bash scripts/debian/deb.sh $(EXT) target/dist
	cargo fetch --locked
	bash scripts/debian/run-in.sh "$$(bash scripts/debian/trixie.sh)" sh -c \
		'make NO_DEPS=1 TARGET=target/php84 build && bash scripts/debian/deb.sh target/php84/release/libmoodle_events.so target/dist'

## Each package installed as a site admin does (apt-get install ./….deb) into a clean tree of
## its Debian release with only its PHP, checked with php --ri and the demo, then removed.
test-deb: deb
	for deb in target/dist/*.deb; do bash scripts/debian/test-deb.sh "$$deb" || exit 1; done

## Real Moodle 4.5.6 and 5.1.3 with local_archiving on PostgreSQL, in Moodle's own PHPUnit
## (scripts/moodle/run.sh; everything under target/moodle/, sites reused between runs): the
## tests the installer generates and tests/moodle/real/. Skipped, saying so, without the
## test material in ../shared/moodle (or MOODLE_SHARED).
moodle-sites: build
	bash scripts/moodle/run.sh setup 45 51

test-moodle: build
	bash scripts/moodle/run.sh test 45 51

test-moodle-45: build
	bash scripts/moodle/run.sh test 45

test-moodle-51: build
	bash scripts/moodle/run.sh test 51

## Mutation testing of the pure-Rust core with cargo-mutants (installed on first use; not
## run by CI: it takes long). MUTANTS_ARGS narrows or extends it, e.g.
## MUTANTS_ARGS="-f src/expect.rs"; results in mutants.out/.
mutants:
	command -v cargo-mutants >/dev/null || cargo install cargo-mutants --locked
	cargo mutants --no-default-features -e 'src/php/**' -e 'src/bin/**' -e src/bridge.rs \
		-e src/install.rs -e src/docs.rs -e src/fuzzing.rs $(MUTANTS_ARGS)

## The JSON Schema of every event's data (README: the catalogue as a contract).
schemas:
	$(GEN) schema target/schemas >/dev/null
	@echo "schemas: target/schemas/"

## Regenerate what derives from catalogue/events.json: the README's table and the bridge.
docs:
	$(GEN) readme README.md
	$(GEN) bridge php

## Benchmarks (bench/README.md): the event path with opcache and the JIT off, then on; the
## bridge in the Moodle stand-in; the core validator alone. BENCH_ARGS="events rounds".
## Then inside real Moodle (bench-moodle).
BENCH_ARGS ?= 20000 7
JIT := -d opcache.enable_cli=1 -d opcache.jit_buffer_size=64M -d opcache.jit=tracing
bench: bench-extension bench-paths bench-moodle

## Instructions per event (callgrind) of create(), create_from_job() and create_from_event().
bench-paths: build
	bash scripts/bench-paths.sh $(EXT)

bench-extension: build
	$(PHP_EXT) -d opcache.enable_cli=0 bench/run.php $(BENCH_ARGS)
	@echo
	$(PHP_EXT) $(JIT) bench/run.php $(BENCH_ARGS)
	$(PHP_EXT) bench/bridge.php $(BENCH_ARGS)
	@echo
	cargo bench -q --no-default-features --bench validator -- $(BENCH_RUST)

## Inside real Moodle 4.5.6 and 5.1.3 (the sites of test-moodle; bench/README.md, "Inside
## Moodle"): floor, hand-validated class, bridge class and native event into Moodle's PHPUnit
## sink, and end to end into logstore_standard; callgrind instructions per event and time.
## BENCH_MOODLE_ARGS="events rounds"; BENCH_MOODLE_CALLGRIND=0 leaves callgrind out.
## Runs as root (PostgreSQL on the port of the sites' config.php; MOODLE_PGPORT: run.sh setup
## rewrites it first). Skipped, saying so, without the sites and ../shared/moodle. Not in
## bench-smoke (CI): it shares test-moodle's sites and PostgreSQL cluster.
BENCH_MOODLE_ARGS ?= 2000 7
BENCH_MOODLE_CALLGRIND ?= 1
bench-moodle: build
	BENCH_MOODLE_CALLGRIND=$(BENCH_MOODLE_CALLGRIND) bash scripts/bench-moodle.sh $(BENCH_MOODLE_ARGS)

## CI: the benchmarks still run (tiny counts; no timing is asserted).
bench-smoke:
	$(MAKE) --no-print-directory bench-extension BENCH_ARGS="200 1" BENCH_RUST=1000 >/dev/null

## Fuzzing (SECURITY.md). The core validator under libFuzzer for FUZZ_SECONDS, seeded with a
## valid create() of every catalogue event (cargo-fuzz on the stable toolchain: it needs
## RUSTC_BOOTSTRAP for libFuzzer's coverage flags; no sanitizer). Then the extension under
## the PHP fuzz script with hostile PHP values, FUZZ_PHP_ITERATIONS inputs per seed.
FUZZ_SECONDS ?= 30
FUZZ_PHP_ITERATIONS ?= 2000
fuzz: fuzz-core fuzz-php

fuzz-core:
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	$(GEN) fuzz-seeds target/fuzz-corpus
	RUSTC_BOOTSTRAP=1 cargo fuzz run -s none validate target/fuzz-corpus -- \
		-max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 >target/fuzz-core.log 2>&1 \
		|| { tail -n 60 target/fuzz-core.log; exit 1; }
	@tail -n 2 target/fuzz-core.log

fuzz-php: build
	bash tests/fuzz/run.sh $(EXT) $(FUZZ_PHP_ITERATIONS)

## Memory (SECURITY.md): scripts covering every path of the extension under valgrind with
## PHP's allocator off; fails on any valgrind error and any definite or indirect leak.
memcheck: build
	bash tests/memcheck/run.sh $(EXT)
