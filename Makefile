# Warden: the two commands a new machine needs.
#   make run    install what is missing, build, initialise the demo workspace, open the app
#   make test   install what is missing and run every test (Rust, UI, end-to-end)

# Builds live outside the clone so that a fresh clone on a machine that has built before
# reuses them; a new machine builds from scratch.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/warden/target
CARGO ?= cargo
APP := $(CARGO_TARGET_DIR)/debug/warden-desktop
CLI := $(CARGO_TARGET_DIR)/debug/warden

.PHONY: run test setup setup-test ui build cli lint-cli test-rust test-ui clean sandbox sandbox-stop ts fixtures deb

run: setup ui build
	@$(CLI) workspace init >/dev/null && echo "demo workspace ready (warden workspace show describes it)"
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  echo "There is no display here, so the desktop app cannot open."; \
	  echo "The same demo workspace works from the command line, e.g.:"; \
	  echo "  $(CLI) query \"SELECT country, count(*) AS customers FROM sales.customers GROUP BY 1 ORDER BY 2 DESC\""; \
	  echo "  echo 'SELECT email FROM sales.customers' | $(CLI) lint --policy \$$($(CLI) workspace show --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"policy_path\"])') -"; \
	else \
	  exec $(APP); \
	fi

test: setup-test ui
	scripts/test.sh

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

# Rewrites only the files of ui/dist whose content changed (ui/sync-dist.mjs), so an unchanged
# UI does not make cargo rebuild the app that embeds it.
ui:
	@cd ui && npm run --silent build

# The same build as `make test` (`cargo test` builds the app and the CLI for its end-to-end
# tests): one feature set, so `make run` after `make test` (or the reverse) rebuilds nothing.
build:
	$(CARGO) test --workspace --no-run

# The Debian packages (release build): warden (the app, its desktop entry and icons, the CLI)
# and warden-demo (the demo workspace's engine).
deb: setup
	scripts/deb.sh

# The lint-only CLI: no DataFusion, no Tauri, no WebKit.
lint-cli:
	$(CARGO) build -p warden-cli --no-default-features

# A local AWS sandbox (moto_server and the SSO fake on 127.0.0.1) with a workspace `sandbox`.
sandbox:
	@scripts/sandbox.sh start

sandbox-stop:
	@scripts/sandbox.sh stop

# The window's TypeScript types (ui/src/gen/*.ts) from the Rust wire types in crates/api;
# `cargo test` fails while they are stale.
ts:
	WARDEN_WRITE_TS=1 $(CARGO) test -p warden-api --test ts

# The mock backend's answers (ui/src/gen/fixtures.json), recorded from the real backend on a
# fresh demo workspace; `cargo test` fails when their shape no longer matches.
fixtures:
	WARDEN_RECORD_FIXTURES=1 $(CARGO) test -p warden-api --test fixtures

clean:
	rm -rf ui/dist
	$(CARGO) clean
