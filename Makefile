# Hotline: one Makefile for set-up, the local stack, the services, tests and benchmarks.
# `make demo` runs Hotline end to end on a fresh machine; `make test` runs the whole suite.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STACK := $(BIN)/python -m deploy.local.stack
INSTALLED := $(VENV)/.installed
NODE_TOOLS := tools/asyncapi-validate/node_modules/.installed

.PHONY: help setup up down status run demo test unit lint bench schemas asyncapi openapi clean

help:
	@echo "make demo    set up everything, start the stack and services, send sample contacts, show their path"
	@echo "make test    the whole suite (unit + integration + e2e) on the real local stack"
	@echo "make unit    unit tests only, no stack needed"
	@echo "make up | down | status    the local stack: Kafka (KRaft), FerretDB, Kannel + fakesmsc"
	@echo "make run     every service in the foreground (honcho); Ctrl-C stops them"
	@echo "make lint    ruff and mypy"
	@echo "make bench   end-to-end and raw Kafka throughput and latency, service memory"
	@echo "make openapi the gateway's OpenAPI document, to openapi.json"

setup: $(INSTALLED) $(NODE_TOOLS)

$(INSTALLED): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

$(NODE_TOOLS): tools/asyncapi-validate/package.json tools/asyncapi-validate/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix tools/asyncapi-validate
	touch $@

up: setup
	$(STACK) up

down: setup
	$(STACK) down

status: setup
	$(STACK) status

run: setup up
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f deploy/local/Procfile -d . -e .run/stack.env start

demo: setup up
	$(BIN)/python -m deploy.local.demo

test: setup
	$(BIN)/python -m pytest

unit: setup
	$(BIN)/python -m pytest tests/unit

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python -m tests.bench.run

schemas: setup
	$(BIN)/python -m contracts.schemas

asyncapi: setup
	$(BIN)/python -m services.asyncapi --out asyncapi.yaml

openapi: setup
	$(BIN)/python -m services.gateway.openapi_document --out openapi.json

clean:
	$(STACK) down --purge
	rm -rf $(VENV) tools/asyncapi-validate/node_modules
