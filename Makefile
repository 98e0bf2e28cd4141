# Gatehouse: two commands do everything on a fresh Debian machine with Rust and Node.
#   make run    install what is missing, build (release), and serve on http://localhost:3000
#   make test   install what is missing and run every check (fmt, clippy, Rust tests on SQLite
#               and PostgreSQL, Playwright in Debian's Chromium)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Exact tool versions: cargo-leptos 0.3.11 needs a newer rustc; wasm-bindgen-cli must equal
# the wasm-bindgen in Cargo.lock.
CARGO_LEPTOS_VERSION := 0.3.10
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' Cargo.lock)
BINARYEN_VERSION := 132.0.0
CARGO_DENY_VERSION := 0.20.2
CARGO_FUZZ_VERSION := 0.13.2
CARGO_DEB_VERSION := 3.8.0

# Build outputs live outside the clone so a fresh clone reuses earlier work.
CACHE_DIR ?= $(HOME)/.cache/gatehouse
export CARGO_TARGET_DIR ?= $(CACHE_DIR)/target
TOOLS_DIR := $(CACHE_DIR)/tools
export PATH := $(HOME)/.cargo/bin:$(TOOLS_DIR)/node_modules/.bin:$(PATH)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run test tools rust-tools package-tools system-packages node-packages wasm-opt \
	check-format lint deny advisories check-wasm-deps test-rust build-debug test-e2e \
	test-package release package bench bench-check bench-size bench-size-check stress fuzz

help:
	@echo "make run   - build and serve Gatehouse on http://localhost:3000 (SQLite in ./data)"
	@echo "make test  - run every check and test"
	@echo "make package - the release binary (site embedded) as a Debian package in target/debian/"
	@echo "make bench - every speed and size figure (S1-S8) against its anchor, in one table"
	@echo "make bench-check - make bench, failing when a figure misses its target or regressed"
	@echo "make bench-size - wasm + JS each kind of page downloads, against a hello-world Leptos app"
	@echo "make stress - the system under attack and load (concurrent accepts, guessed tokens, floods,"
	@echo "              look-alike answers, oversized requests, 50 writers, kill -9, two servers"
	@echo "              with one killed), SQLite and PostgreSQL"
	@echo "make fuzz  - every parser under libFuzzer, FUZZ_SECONDS (600) each; needs nightly"
	@echo "make advisories - Cargo.lock against RustSec's advisory database (needs github.com)"

# ---------------------------------------------------------------------------------------------
# Installing what is missing (each step is skipped when already done)

rust-tools:
	rustup target add wasm32-unknown-unknown
	rustup component add rustfmt clippy
	@if ! cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)"; then \
		echo "Installing cargo-leptos $(CARGO_LEPTOS_VERSION) (once per machine, about 20 minutes)"; \
		cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked; \
	fi
	@if ! wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)"; then \
		echo "Installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (once per machine)"; \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@if ! cargo deny --version 2>/dev/null | grep -q "$(CARGO_DENY_VERSION)"; then \
		echo "Installing cargo-deny $(CARGO_DENY_VERSION) (once per machine)"; \
		cargo install cargo-deny --version $(CARGO_DENY_VERSION) --locked; \
	fi

package-tools:
	@if ! cargo deb --version 2>/dev/null | grep -q "$(CARGO_DEB_VERSION)"; then \
		echo "Installing cargo-deb $(CARGO_DEB_VERSION) (once per machine)"; \
		cargo install cargo-deb --version $(CARGO_DEB_VERSION) --locked; \
	fi

# Debian's binaryen is too old (its wasm-opt breaks the release wasm); npm's is current.
wasm-opt:
	@if ! wasm-opt --version 2>/dev/null | grep -q "version $(firstword $(subst ., ,$(BINARYEN_VERSION)))"; then \
		mkdir -p $(TOOLS_DIR) && npm install --prefix $(TOOLS_DIR) --no-save --no-audit --no-fund binaryen@$(BINARYEN_VERSION); \
	fi

system-packages:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pg_virtualenv >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi

node-packages:
	cd end2end && npm ci --no-audit --no-fund

# ---------------------------------------------------------------------------------------------
# Running

run: release
	GATEHOUSE_LISTEN=$${GATEHOUSE_LISTEN:-127.0.0.1:3000} $(CARGO_TARGET_DIR)/release/gatehouse serve

# One self-contained binary: the site first, then the server with the site inside it.
release: rust-tools wasm-opt
	cargo leptos build --release --frontend-only --split
	cargo leptos build --release --server-only --bin-features embed-site

package: release package-tools
	cargo deb -p server --no-build -o $(CARGO_TARGET_DIR)/debian/
	@echo "Install it with: sudo apt install $(CARGO_TARGET_DIR)/debian/gatehouse_*.deb"

# ---------------------------------------------------------------------------------------------
# Testing

test: rust-tools package-tools system-packages node-packages
	$(MAKE) check-format lint deny check-wasm-deps test-rust build-debug test-e2e test-package
	@echo "All checks passed."

check-format:
	cargo fmt --all --check
	cargo fmt --manifest-path fuzz/Cargo.toml --check

lint:
	cargo clippy -p app -p server --features app/ssr --all-targets -- -D warnings
	cargo clippy -p app -p frontend --features app/hydrate --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --manifest-path fuzz/Cargo.toml --bins -- -D warnings

# Licences, banned crates and sources of every dependency (deny.toml), after lint
# (which has downloaded the crates). Advisories need RustSec's database from github.com: make advisories.
deny:
	cargo deny --log-level error check licenses bans sources

advisories: rust-tools
	cargo deny check advisories

# Server-only crates must never reach the browser's wasm, nor webauthn-rs's wire types: the
# browser hands WebAuthn's JSON to its own parser (app/src/passkeys/wire.rs).
check-wasm-deps:
	@found=$$(cargo tree -p frontend --target wasm32-unknown-unknown -e normal --prefix none \
		| grep -E '^(sqlx|sqlx-core|tokio|lettre|webauthn-rs|webauthn-rs-proto|axum|leptos_axum|aes-gcm|openidconnect|rsa) ' | sort -u || true); \
	if [ -n "$$found" ]; then echo "Server-only crates in the wasm build:"; echo "$$found"; exit 1; fi; \
	echo "wasm build is free of sqlx, tokio, lettre, webauthn-rs(-proto), axum, aes-gcm, openidconnect, rsa"

# Unit tests, then the integration tests on SQLite and on a throw-away PostgreSQL cluster.
test-rust:
	cargo test -p app --features ssr
	pg_virtualenv bash -c 'GATEHOUSE_TEST_POSTGRES_URL="postgres://$$PGUSER:$$PGPASSWORD@$$PGHOST:$$PGPORT/$$PGDATABASE" \
		GATEHOUSE_REQUIRE_POSTGRES=1 cargo test -p server'

# `--split`: lazy routes load their own wasm (app/src/routes.rs); without it their placeholder
# imports do not resolve and no page hydrates.
build-debug:
	cargo leptos build --split

test-e2e:
	cd end2end && GATEHOUSE_BIN=$(CARGO_TARGET_DIR)/debug/gatehouse npx playwright test

# The package as `make package` makes it, from the debug build (the site from build-debug,
# embedded), installed on this machine with dpkg and checked (needs root; see the script).
# cargo-deb warns that the dev profile is meant for releases only: this is a test package.
test-package:
	cargo leptos build --server-only --bin-features embed-site
	cargo deb -p server --no-build --profile dev -o $(CARGO_TARGET_DIR)/debian/gatehouse-test.deb
	$(SUDO) packaging/test-package.sh $(CARGO_TARGET_DIR)/debian/gatehouse-test.deb

# ---------------------------------------------------------------------------------------------
# Benchmarks (not part of `make test`: they measure, they do not pass or fail)

# Every S-figure of issue 17 (README, Performance), each against its anchor built and measured
# in this run, then one table (target/bench/report.json): Gatehouse (the release binary, site
# embedded, as `make run` and the package ship it) and the hello-world anchor as release builds (S1-S4 sizes; S5 hydration under a throttled CPU and network in Chromium),
# the server benchmarks on SQLite and PostgreSQL (S6 Users page at 10,000 + 10,000; S8 requests
# per second against a bare axum handler; also accept-invite and audit-log times) and the
# statement counts (S7). About 25 minutes after `make test`. bench-check also fails when a
# figure misses its target or regressed more than 10 % past benches/bench-baseline.json.
bench: release system-packages node-packages
	cd benches/anchor-hello && cargo leptos build --release
	$(WASM_SIZE)
	cd end2end && GATEHOUSE_BIN=$(CARGO_TARGET_DIR)/release/gatehouse \
		ANCHOR_BIN=$(CARGO_TARGET_DIR)/release/anchor-hello \
		npx playwright test -c playwright.bench.config.ts
	@# cargo bench builds its own release `gatehouse` over the embedded one (S5 ran first);
	@# `make run` and `make package` build theirs again through `release`.
	pg_virtualenv bash -c 'url="postgres://$$PGUSER:$$PGPASSWORD@$$PGHOST:$$PGPORT/$$PGDATABASE"; \
		GATEHOUSE_BENCH_POSTGRES_URL="$$url" GATEHOUSE_TEST_POSTGRES_URL="$$url" cargo bench -p server && \
		GATEHOUSE_TEST_POSTGRES_URL="$$url" GATEHOUSE_QUERY_COUNTS_JSON=$(CURDIR)/target/bench/query-counts.json \
			cargo test -p server --test query_counts -- --nocapture'
	node benches/report.mjs target/bench

bench-check: bench
	node benches/report.mjs target/bench benches/bench-baseline.json

# What the browser downloads for the invite, sign-in and admin pages, against a hello-world
# Leptos app built the same way in the same run (S1-S4 of the README's performance notes).
# bench-size-check also fails when a ratio misses its target or grew 10 % past the baseline.
WASM_SIZE = node benches/wasm-size.mjs target/site/pkg benches/anchor-hello/target/site/pkg \
	target/bench/wasm-size.json

bench-size: rust-tools wasm-opt
	cargo leptos build --release --frontend-only --split
	cd benches/anchor-hello && cargo leptos build --release --frontend-only
	$(WASM_SIZE)

bench-size-check: bench-size
	$(WASM_SIZE) benches/wasm-size-baseline.json

# The adversarial suite (not part of `make test`: minutes long, with timing pass marks). Each
# case prints its figure; one at a time, so timings are not shared with another case.
stress: rust-tools system-packages
	pg_virtualenv bash -c 'GATEHOUSE_TEST_POSTGRES_URL="postgres://$$PGUSER:$$PGPASSWORD@$$PGHOST:$$PGPORT/$$PGDATABASE" \
		GATEHOUSE_REQUIRE_POSTGRES=1 cargo test -p server --test integration stress:: -- --ignored --nocapture --test-threads 1'

# Coverage-guided fuzzing (not part of `make test`: ten minutes per target). Each target
# asserts its parser's properties (see fuzz/fuzz_targets/); a failing input is kept in
# fuzz/artifacts/ and the run stops there.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := email_address display_name address_list csv_field duration typed_date \
	export_query list_query

fuzz: rust-tools
	@rustup toolchain list | grep -q '^nightly' || { echo "make fuzz needs the nightly toolchain (rustup toolchain install nightly)"; exit 1; }
	@if ! cargo fuzz --version 2>/dev/null | grep -q "$(CARGO_FUZZ_VERSION)"; then \
		cargo install cargo-fuzz --version $(CARGO_FUZZ_VERSION) --locked; \
	fi
	cd fuzz && cargo +nightly fuzz build -O
	@mkdir -p fuzz/logs; cd fuzz && for target in $(FUZZ_TARGETS); do \
		if cargo +nightly fuzz run -O $$target -- -max_total_time=$(FUZZ_SECONDS) \
			> logs/$$target.log 2>&1; then \
			printf '%-14s %s, 0 failures\n' $$target "$$(grep -o 'Done [0-9]* runs in [0-9]* second(s)' logs/$$target.log)"; \
		else \
			echo "$$target FAILED (fuzz/logs/$$target.log):"; tail -30 logs/$$target.log; exit 1; \
		fi; \
	done
