# Common tasks. `make run` serves the model in models/default; `make test` runs the test suite (as CI does).
SWIFT ?= swift
BIN := .build/release/safety-server
MODEL ?= models/default

.PHONY: run test deps build model model-v2 contract-fuzz long-text-check eval demo-loop loop-protocol bench-engine bench-train bench-load bench-storage crash-test crash-test-replicas fixtures peft-export tokenizer-fixture

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product safety-server

run: build
	$(BIN) serve --model $(MODEL)

test: deps
	$(SWIFT) test

# Reproduces models/default from data/corpus (tokenizer, initial weights, SFT, evaluation); resumable.
model: build
	bash tools/model/make-model.sh

# Default model v2: v1 continued on corpus v2, then v1 and v2 evaluated side by side (tools/model/make-model-v2.sh).
model-v2: build
	bash tools/model/make-model-v2.sh

# Schemathesis against a live server on loopback, all checks (CI runs it after the tests).
contract-fuzz:
	$(SWIFT) build --product safety-server
	bash scripts/contract-fuzz.sh

# The default model on the held-out test split.
eval: build
	$(BIN) eval --model $(MODEL) --data data/corpus-v2/test.jsonl

# The learning loop end to end over HTTP, then adapter swaps under load.
demo-loop: build
	bash scripts/demo-loop.sh

# The learning loop's leave-one-domain-out protocol: three domains the default model never saw, each corrected
# through the API and retrained once on a fresh server; one table (scripts/loop-protocol.sh; about 10 minutes a domain).
loop-protocol: build
	bash scripts/loop-protocol.sh

bench-engine: build
	$(BIN) bench engine

bench-train: build
	$(BIN) bench train

bench-load: build
	bash scripts/load-test.sh

bench-storage: build
	$(BIN) bench storage

crash-test: build
	bash scripts/crash-test.sh

crash-test-replicas: build
	bash scripts/crash-test-replicas.sh

# Regenerates the reference fixtures from PyTorch/Transformers/PEFT/tokenizers (needs Python; CI does not).
fixtures:
	python3 -m venv tools/fixtures/.venv && tools/fixtures/.venv/bin/pip install -r tools/fixtures/requirements.txt
	tools/fixtures/.venv/bin/python tools/fixtures/make_fixtures.py

# The PEFT export fixture (Tests/Fixtures/training/swift-export): the engine trains and exports a LoRA adapter, PEFT
# reloads it and must reproduce the engine's logits (needs the venv above; CI only reads the committed files).
peft-export:
	$(SWIFT) run safety-server dev export-test-adapter
	tools/fixtures/.venv/bin/python tools/fixtures/check_peft_export.py

# The trained-tokenizer fixture (Tests/Fixtures/tokenizer/trained): `safety-server tokenizer train` on a dataset sample,
# checked and encoded by Hugging Face tokenizers/transformers (needs the venv above; CI only reads the committed files).
tokenizer-fixture:
	$(SWIFT) build --product safety-server
	tools/fixtures/.venv/bin/python tools/fixtures/make_trained_tokenizer_fixture.py --safety-server .build/debug/safety-server
