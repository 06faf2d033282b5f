# KalkiEdge — the two everyday commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
CONFIG ?= Release
RESULTS := out/test-results
DOTNET ?= dotnet
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: help deps build run test test-dotnet test-deps publish bench clean check-sim elements-doc

help:
	@echo "make run      run the appliance on its built-in simulation profile"
	@echo "make test     install test dependencies and run every test (unit, replay, peer, live, shim)"
	@echo "make bench    run the benchmarks (ratios against baselines measured in the same run)"
	@echo "make publish  build the linux-arm64 self-contained firmware into out/publish/linux-arm64"
	@echo "make image    build the flashable SD image (see image-build/README.md)"
	@echo "make elements-doc  regenerate umboxes/ELEMENTS.md from the element registry"

# Runtime dependencies: libpcap for SharpPcap. Installed only when missing (runs as root on CI).
deps:
	@tools/ensure-packages.sh libpcap0.8
	@command -v $(DOTNET) >/dev/null || { echo "error: the .NET 10 SDK (dotnet) is required: https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2; exit 1; }

build: deps
	$(DOTNET) build KalkiEdge.sln -c $(CONFIG) -warnaserror

run: deps shim
	$(DOTNET) run --project firmware/KalkiEdge.Host -c $(CONFIG) -- run $(ARGS)

# Everything the tests need beyond the runtime: Suricata (peer for the IPS), C toolchain for the shim,
# iproute2 for the network-namespace testbed, udhcpc (a real DHCP client for devices that join the testbed), Debian's Chromium for the dashboard's browser tests (Playwright drives
# it; no browser is downloaded).
test-deps: deps
	@tools/ensure-packages.sh iproute2 udhcpc cmake gcc make python3 jq chromium
	@bash tests/peers/install-suricata.sh

test: test-deps
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@status=0; \
	if grep -q '^shim-test:' hypervisor-shims/shim.mk 2>/dev/null; then $(MAKE) --no-print-directory shim-test || status=1; fi; \
	$(MAKE) --no-print-directory test-dotnet || status=1; \
	exit $$status

test-dotnet:
	$(DOTNET) build KalkiEdge.sln -c $(CONFIG)
	$(DOTNET) test KalkiEdge.sln -c $(CONFIG) --no-build --blame-hang-timeout 10m \
	  --logger "trx" --results-directory $(abspath $(RESULTS)) --logger "console;verbosity=minimal"

publish:
	$(DOTNET) publish firmware/KalkiEdge.Host -c Release -r linux-arm64 --self-contained \
	  -p:PublishTrimmed=true -p:PublishSingleFile=true -o out/publish/linux-arm64
	@ls -la out/publish/linux-arm64/kalki-edge

# The element reference is generated from the registry; a unit test fails when the checked-in copy differs.
elements-doc:
	$(DOTNET) run --project firmware/KalkiEdge.Host -c $(CONFIG) -- elements --markdown > umboxes/ELEMENTS.md

bench: deps
	$(DOTNET) run --project tests/bench/KalkiEdge.Bench -c Release -- $(ARGS)

clean:
	rm -rf out
	find . -name bin -o -name obj -type d -prune | xargs rm -rf

-include hypervisor-shims/shim.mk
-include image-build/image.mk
-include tools/manifest.mk
