# kvcache: `make lab` opens the notebook, `make test` runs every test.
# Everything installed lands in .build/ (tools, venv, kernel spec) or
# widgets/assets/ (chart library), so nothing outside the repo changes.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

BUILD   := $(CURDIR)/.build
BIN     := $(BUILD)/bin
VENV    := $(BUILD)/venv
KERNELS := $(BUILD)/jupyter
PYTHON  ?= python3
GOPLS_VERSION := v0.23.0
LAB_ARGS ?=

export PATH := $(BIN):$(VENV)/bin:$(PATH)

ECHARTS := widgets/assets/dist/echarts.min.js

.PHONY: help lab lab-flags setup tools venv kernel assets test vet nbclean gotest notebooks cpucheck e2e screenshot clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# Jupyter refuses to start as root without --allow-root (containers, CI machines run as root).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

# GoNB publishes its kernel status only around the requests it handles, and JupyterLab ignores
# the status answering a kernel_info_request, a type the server lists as untracked (its page
# follows that list), so a notebook just opened shows the kernel as "Unknown" until a cell runs.
# The server's default list less kernel_info_request/reply lets that reply's "idle" through.
TRACK_KERNEL_INFO := $(foreach m,comm_info_request comm_info_reply shutdown_request shutdown_reply \
	interrupt_request interrupt_reply debug_request debug_reply stream display_data update_display_data \
	execute_input execute_result error status clear_output debug_event input_request input_reply,\
	--MappingKernelManager.untracked_message_types=$(m))

lab: setup ## install what is missing, then open JupyterLab on notebooks/kvcache.ipynb
	JUPYTER_PATH=$(KERNELS) jupyter lab --ServerApp.root_dir=$(CURDIR) $(ROOT_FLAG) $(TRACK_KERNEL_INFO) $(LAB_ARGS) notebooks/kvcache.ipynb

lab-flags: # the server flags make lab adds (the browser test starts its lab with them)
	@echo $(TRACK_KERNEL_INFO)

setup: tools venv kernel assets ## install the Go tools, the venv, the GoNB kernel and the chart library

tools: $(BIN)/gonb $(BIN)/goimports $(BIN)/gopls ## gonb, goimports (go.mod tools) and gopls

$(BIN)/gonb $(BIN)/goimports: go.mod go.sum
	GOBIN=$(BIN) go install tool
	@touch $(BIN)/gonb $(BIN)/goimports

# gopls needs another golang.org/x/tools than goimports, so it is installed on its own, pinned.
$(BIN)/gopls:
	GOBIN=$(BIN) GOFLAGS= go install golang.org/x/tools/gopls@$(GOPLS_VERSION)

venv: $(VENV)/.installed $(VENV)/.exporter ## Python venv with JupyterLab, nbclient (requirements.txt) and the Kvcache_html exporter

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

# The exporter behind File > Save and Export Notebook As > Kvcache_html
# (tools/kvcache_export): a pip install of the folder; its build backend comes from PyPI.
EXPORTER := $(shell find tools/kvcache_export -type f -not -path '*/build/*' -not -path '*.egg-info*' -not -name '*.pyc')
$(VENV)/.exporter: $(VENV)/.installed $(EXPORTER)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check ./tools/kvcache_export
	rm -rf tools/kvcache_export/build tools/kvcache_export/*.egg-info
	@touch $@

kernel: $(KERNELS)/kernels/gonb/kernel.json ## the GoNB kernel spec, in .build/jupyter

$(KERNELS)/kernels/gonb/kernel.json: $(BIN)/gonb $(BIN)/goimports $(BIN)/gopls
	JUPYTER_DATA_DIR=$(KERNELS) gonb --install

assets: $(ECHARTS) ## ECharts from npm (widgets/assets/package-lock.json)

$(ECHARTS): widgets/assets/package.json widgets/assets/package-lock.json
	cd widgets/assets && npm ci --no-audit --no-fund --loglevel=error
	cp widgets/assets/node_modules/echarts/dist/echarts.min.js $@

test: nbclean setup vet notebooks gotest cpucheck e2e ## clean notebooks (first: seconds), vet, unit tests, every notebook headless, the browser workflow

vet:
	go vet ./...

nbclean: ## the committed notebooks carry no outputs (tests/notebooks)
	go test ./tests/notebooks -count=1

gotest:
	go test ./...

notebooks: setup ## execute every notebook headless; fail on any error output
	$(VENV)/bin/python tests/run_notebooks.py notebooks/*.ipynb widgets/testdata/*.ipynb

cpucheck: ## report: the this-cpu cost model against kvsim bench on the tiny models (ratios, verdict against ±25%), run alone
	KVCACHE_CPU_CHECK=1 go test ./kvsim/cost -run ThisCPUPredictsBench -count=1 -v

e2e: setup ## the JupyterLab workflow and the exported HTML in headless Chromium
	KVCACHE_E2E=1 go test ./tests/e2e -count=1 -timeout 20m -v

screenshot: setup ## refresh docs/notebook.png, README's picture, from the browser test
	mkdir -p docs
	KVCACHE_E2E=1 KVCACHE_README_SHOT=$(CURDIR)/docs/notebook.png go test ./tests/e2e -run Workflow -count=1 -timeout 20m

clean: ## remove everything make installed or wrote
	rm -rf $(BUILD) widgets/assets/node_modules $(ECHARTS) reports screenshots
