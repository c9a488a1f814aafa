# credguard: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup build lint test demo bench local-up local-down clean

# cargo-lambda finds zig via `python3 -m ziglang`, so the venv's python comes first.
export PATH := $(CURDIR)/.venv/bin:$(PATH)
CARGO ?= cargo

help: ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

setup: ## Install pinned local tools (.venv: moto, cargo-lambda, cfn-lint, sam)
	@infra/local/venv.sh

build: ## Build every crate and test target (debug)
	$(CARGO) build --workspace --all-targets

lint: ## fmt check, clippy -D warnings, no openssl, no fictional Genesys endpoints
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	@infra/checks/no-openssl.sh
	@infra/checks/no-fiction.sh

test: setup build ## Run every test (unit + integration against the simulator and moto)
	infra/local/with-stack.sh -- $(CARGO) test --workspace --no-fail-fast

FUNCTIONS := -p credguard-rotation -p credguard-revocation

demo: setup ## Run the main job end to end on the local stack (simulator + moto)
	$(CARGO) build -p genesys-sim -p credguard-e2e $(FUNCTIONS) --bins
	SIM_ARGS="--propagation-delay-ms 1500" infra/local/with-stack.sh --sim -- target/debug/demo

bench: setup ## Print the rerunnable figures (Genesys client, rotation, revocation, audit)
	$(CARGO) build --profile bench-local -p credguard-bench
	infra/local/with-stack.sh -- target/bench-local/credguard-bench

local-up: setup ## Start moto and the Genesys simulator in the background (.local/env has the URLs)
	$(CARGO) build -p genesys-sim --bin genesys-sim
	infra/local/up.sh --sim

local-down: ## Stop what local-up started
	@infra/local/down.sh

clean: local-down ## Remove build output and local state (keeps .venv)
	$(CARGO) clean
	rm -rf .local
