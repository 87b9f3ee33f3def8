# learnloop — the two commands are `make up` and `make test`.
SHELL := /bin/bash
VENV := .venv

.PHONY: up test install system-deps infra-tools lint format typecheck bench-quick clean

up: install ## run the platform locally on embedded defaults and print the URLs
	$(VENV)/bin/learnloop up

test: install system-deps infra-tools ## install what is needed and run the whole test suite
	scripts/web-assets.sh
	scripts/test.sh

install: ## create/reuse .venv and install locked dependencies (no-op when up to date)
	@scripts/bootstrap.sh

system-deps: ## Debian packages for the real servers the tests start
	@scripts/system-deps.sh chromium promtool

infra-tools: install ## offline infra validators (checkov, helm SDK, kubernetes schemas, hadolint) in infra/.venv-tools
	@scripts/infra-tools.sh

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

typecheck: install
	$(VENV)/bin/mypy .

bench-quick: install ## every benchmark in its --quick mode
	@for b in benchmarks/*.py; do $(VENV)/bin/python $$b --quick || exit 1; done

clean:
	rm -rf var .mypy_cache .ruff_cache
