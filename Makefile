# credguard: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup build function-bins lint template-checks test demo bench package sam-build local-up local-down clean

# cargo-lambda finds zig via `python3 -m ziglang`, so the venv's python comes first.
export PATH := $(CURDIR)/.venv/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0
CARGO ?= cargo
FUNCTION_PACKAGES := credguard-rotation credguard-revocation credguard-audit

help: ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

setup: ## Install pinned local tools (.venv: moto, cargo-lambda, cfn-lint, SAM)
	@infra/local/venv.sh

build: ## Build every crate and test target (debug)
	$(CARGO) build --workspace --all-targets

lint: template-checks ## fmt check, clippy -D warnings, rustdoc -D warnings, no openssl, no fictional Genesys endpoints, template checks
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --quiet
	@infra/checks/no-openssl.sh
	@infra/checks/no-fiction.sh

template-checks: setup ## cfn-lint, sam validate --lint, checkov (zero unexplained findings; .venv-scan)
	@infra/local/venv.sh scan
	@infra/checks/template-safety.sh
	cfn-lint template.yaml
	sam validate --lint -t template.yaml
	.venv-scan/bin/checkov -f template.yaml --framework cloudformation --compact --quiet --skip-download

test: setup build function-bins ## The stack as AWS deploys it, every test (moto enforcing each function's IAM), unused permissions
	python infra/checks/deploy_truth.py --policies target/iam-policies
	python -m unittest discover -s infra/checks -p 'test_*.py'
	rm -rf target/iam-observed
	CREDGUARD_IAM_OBSERVED=$(CURDIR)/target/iam-observed infra/local/with-stack.sh -- $(CARGO) test --workspace --no-fail-fast
	python infra/checks/iam_unused.py

FUNCTIONS := -p credguard-rotation -p credguard-revocation

# The function binaries exactly as `cargo lambda watch` builds them (`cargo run --bin`, without
# the test crates' features), so that its first invocation does not compile the dependencies
# again under a request's timeout.
function-bins:
	$(CARGO) build -p credguard-revocation --bins
	$(CARGO) build -p credguard-rotation --bins

demo: setup function-bins ## Run the main job end to end on the local stack (simulator + moto)
	$(CARGO) build -p genesys-sim -p credguard-e2e -p credguard-cli --bins
	SIM_ARGS="--propagation-delay-ms 1500" infra/local/with-stack.sh --sim -- target/debug/demo

bench: setup ## Print the rerunnable figures (Genesys client, rotation, revocation, audit)
	$(CARGO) build --profile bench-local -p credguard-bench
	infra/local/with-stack.sh -- target/bench-local/credguard-bench

package: setup ## Build the three arm64 bootstrap zips (release) and print their sizes
	@infra/package.sh $(FUNCTION_PACKAGES)

sam-build: setup ## sam build from the template (builds the functions with cargo lambda; slow)
	@rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 || { echo "rustup could not add aarch64-unknown-linux-gnu; sam build needs it"; exit 1; }
	sam build -t template.yaml

local-up: setup ## Start moto and the Genesys simulator in the background (.local/env has the URLs)
	$(CARGO) build -p genesys-sim --bin genesys-sim
	infra/local/up.sh --sim

local-down: ## Stop what local-up started
	@infra/local/down.sh

clean: local-down ## Remove build output and local state (keeps .venv)
	$(CARGO) clean
	rm -rf .local
