# KalkiEdge — the two everyday commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
CONFIG ?= Release
RESULTS := out/test-results
DOTNET ?= dotnet
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: help deps build run test test-dotnet test-deps test-arm64-prep publish publish-aot publish-jit publish-start publish-aot-x64 bench clean check-sim elements-doc openapi-doc model-check fuzz crash-test corpus-doc

help:
	@echo "make run      run the appliance on its built-in simulation profile"
	@echo "make test     install test dependencies and run every test (unit, replay, peer, live, shim)"
	@echo "make bench    run the benchmarks (ratios against baselines measured in the same run)"
	@echo "make publish  build the shipped linux-arm64 firmware (NativeAOT; PUBLISH_FORM=jit: trimmed single file) into out/publish/linux-arm64"
	@echo "make publish-start  build the linux-x64 trimmed, ReadyToRun and NativeAOT forms that make bench ARGS=start compares"
	@echo "make publish-aot-x64  build the linux-x64 NativeAOT form only (make test runs the process-level tests on it)"
	@echo "make image    build the flashable SD image (see image-build/README.md)"
	@echo "make elements-doc  regenerate umboxes/ELEMENTS.md and docs/device-monitors.md from their registries"
	@echo "make openapi-doc   regenerate the management API's OpenAPI document (firmware/KalkiEdge.Management/OpenApi/v1.json) from its endpoints"
	@echo "make corpus-doc    replay the detection corpus and regenerate docs/detection-corpus.md from the output"
	@echo "make fuzz     coverage-guided fuzzing of every parser with AFL++ (FUZZ_SECONDS per parser, default 120)"
	@echo "make model-check   check the Spin model of the control loop (also part of make test)"
	@echo "make crash-test    kill -9 the live bridge at random points of 1,000 transitions (root; make test runs 60)"

# Runtime dependencies: libpcap for SharpPcap. Installed only when missing (runs as root on CI).
deps:
	@tools/ensure-packages.sh libpcap0.8
	@command -v $(DOTNET) >/dev/null || { echo "error: the .NET 10 SDK (dotnet) is required: https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2; exit 1; }

build: deps
	$(DOTNET) build KalkiEdge.sln -c $(CONFIG) -warnaserror

run: deps shim
	$(DOTNET) run --project firmware/KalkiEdge.Host -c $(CONFIG) -- run $(ARGS)

# Everything the tests need beyond the runtime: Suricata (peer for the IPS), C toolchain for the shim,
# iproute2 for the network-namespace testbed, udhcpc (a real DHCP client for devices that join the testbed), Debian's
# Chromium for the dashboard's browser tests (Playwright drives it; no browser is downloaded), Mosquitto for the fleet
# tests (each test starts its own broker on loopback), spin for the design model, qemu-user-static to run the shipped
# arm64 build, afl++ for the coverage-guided fuzzing, systemd for a real journald (its journal in a mount namespace of
# the test's own) that the native journal logging is checked against.
test-deps: deps
	@tools/ensure-packages.sh iproute2 udhcpc cmake gcc make python3 jq chromium spin mosquitto qemu-user-static afl++ systemd
	@bash tests/peers/install-suricata.sh

# The replay, live and browser tests start the firmware as a process, and run the shipped form's code: the NativeAOT
# build for this machine (KALKI_FIRMWARE, tests/KalkiEdge.TestKit/Firmware.cs), where a reflection or dynamic-code path
# that only the JIT runtime allows would fail. TEST_FIRMWARE=jit runs them on `dotnet kalki-edge.dll` instead.
TEST_FIRMWARE ?= aot
TEST_FIRMWARE_BINARY = $(if $(filter aot,$(TEST_FIRMWARE)),$(abspath $(AOT_X64)/kalki-edge))

test: test-deps
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@status=0; \
	if grep -q '^shim-test:' hypervisor-shims/shim.mk 2>/dev/null; then $(MAKE) --no-print-directory shim-test || status=1; fi; \
	$(MAKE) --no-print-directory model-check || status=1; \
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS) || status=1; \
	JUNIT=$(abspath $(RESULTS))/bundle.junit.xml $(MAKE) --no-print-directory bundle-test || status=1; \
	$(MAKE) --no-print-directory test-arm64-prep || status=1; \
	$(if $(TEST_FIRMWARE_BINARY),$(MAKE) --no-print-directory publish-aot-x64 || status=1;) \
	KALKI_ARM64_FIRMWARE=$(abspath $(ARM64_FIRMWARE)) KALKI_ARM64_SYSROOT=$(abspath $(ARM64_SYSROOT)) \
	  KALKI_FIRMWARE=$(TEST_FIRMWARE_BINARY) $(MAKE) --no-print-directory test-dotnet || status=1; \
	exit $$status

# The Spin model (tests/model): five LTL properties hold and four mutants each break theirs (~10 s CPU).
model-check:
	@tests/model/check.sh

# Coverage-guided fuzzing (tests/fuzz/run.sh): AFL++ over a SharpFuzz harness, every parser FUZZ_SECONDS; make test
# runs it for TEST_FUZZ_SECONDS per parser (~1 min with the harness build). The seeded in-process fuzzer
# (ParserFuzzTests) runs in the unit tests; KALKI_FUZZ_SECONDS/KALKI_FUZZ_SEED run it longer.
FUZZ_SECONDS ?= 120
TEST_FUZZ_SECONDS ?= 4
fuzz:
	@tools/ensure-packages.sh afl++
	@FUZZ_SECONDS=$(FUZZ_SECONDS) DOTNET=$(DOTNET) tests/fuzz/run.sh

# Crash safety at full length (root, network namespaces, 15-30 min): the live bridge killed with -9 at seeded random
# points of CRASH_TRANSITIONS committed transitions and restarted after the image unit's RestartSec, printing a table
# per life and the restart-to-first-frame times. make test runs the same test over 60 transitions.
CRASH_TRANSITIONS ?= 1000
crash-test: test-deps
	$(DOTNET) build tests/KalkiEdge.LiveTests -c $(CONFIG)
	KALKI_CRASH_TRANSITIONS=$(CRASH_TRANSITIONS) $(DOTNET) test tests/KalkiEdge.LiveTests -c $(CONFIG) --no-build \
	  --filter "FullyQualifiedName~CrashRestartTests" --logger "console;verbosity=detailed"

# The shipped build is linux-arm64: make test publishes it and tests/KalkiEdge.ReplayTests/Arm64 runs it under
# qemu-aarch64-static on three generated replays, requiring the x86-64 build's output. Cost in CI: the NativeAOT
# publish (about 4 min, then 2 more for the linux-x64 one the other tests run), the sysroot once (about 25 MB of arm64
# .debs from the machine's mirror, then cached in out/), and the emulated replays (2-3 s each; bounded at 10 min).
ARM64_FIRMWARE := out/publish/linux-arm64/kalki-edge
ARM64_SYSROOT := out/arm64-sysroot
test-arm64-prep: publish
	@ARM64_SYSROOT_DIR=$(abspath $(ARM64_SYSROOT)) tools/arm64-sysroot.sh >/dev/null

# SIGINT/SIGQUIT/SIGHUP back to their defaults: a CI runner, a shell's background job or nohup starts make with them
# ignored, .NET keeps an inherited ignore, and the tests of Ctrl-C and of SIGHUP (EVE reopen) need the signal delivered
# as it is on a terminal and under systemd.
test-dotnet:
	$(DOTNET) build KalkiEdge.sln -c $(CONFIG)
	env --default-signal=INT,QUIT,HUP $(DOTNET) test KalkiEdge.sln -c $(CONFIG) --no-build --blame-hang-timeout 10m \
	  --logger "trx" --results-directory $(abspath $(RESULTS)) --logger "console;verbosity=minimal"

# The shipped linux-arm64 firmware in out/publish/linux-arm64 (what make image, make bundle and make test take), in one
# of two forms: PUBLISH_FORM=aot (the default: NativeAOT, native code and no JIT: it starts in a fraction of the JIT
# form's time with about half its memory, and reacts without code still to compile; `make bench ARGS=start`) or
# PUBLISH_FORM=jit (the trimmed self-contained single file on the JIT runtime). The directory is emptied first: the
# image copies all of it.
PUBLISH_FORM ?= aot
PUBLISH_OUT := out/publish/linux-arm64
publish: publish-$(PUBLISH_FORM)
	@ls -la $(PUBLISH_OUT)/kalki-edge

# NativeAOT cross-compiled on this x86-64 machine: the SDK restores the arm64 ILCompiler runtime package; clang links
# for aarch64-linux-gnu with Debian's cross toolchain (gcc-aarch64-linux-gnu: binutils' aarch64 ld and gcc's start
# files; libc6-dev-arm64-cross: the arm64 glibc's start files and libraries, only a recommendation of the compiler, so
# named here; the shim's arm64 build uses the same), llvm-objcopy strips. The stripped
# symbols (kalki-edge.dbg) go to out/publish/linux-arm64.dbg, not into the image.
publish-aot: deps
	@tools/ensure-packages.sh clang llvm gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	rm -rf $(PUBLISH_OUT)
	$(DOTNET) publish firmware/KalkiEdge.Host -c Release -r linux-arm64 \
	  -p:PublishAot=true -p:PublishTrimmed=true -o $(PUBLISH_OUT)
	mv -f $(PUBLISH_OUT)/kalki-edge.dbg $(PUBLISH_OUT).dbg
	rm -f $(PUBLISH_OUT)/*.pdb

publish-jit: deps
	rm -rf $(PUBLISH_OUT)
	$(DOTNET) publish firmware/KalkiEdge.Host -c Release -r linux-arm64 --self-contained \
	  -p:PublishTrimmed=true -p:PublishSingleFile=true -o $(PUBLISH_OUT)

# The builds `make bench ARGS=start` compares (linux-x64, to run here): the trimmed single file (PUBLISH_FORM=jit), the
# same with ReadyToRun, and NativeAOT, the shipped form (clang links it). Each is a full publish: minutes of CPU.
START_OUT := out/publish/start
publish-start: publish-aot-x64
	$(DOTNET) publish firmware/KalkiEdge.Host -c Release -r linux-x64 --self-contained \
	  -p:PublishTrimmed=true -p:PublishSingleFile=true -o $(START_OUT)/trimmed-linux-x64
	$(DOTNET) publish firmware/KalkiEdge.Host -c Release -r linux-x64 --self-contained \
	  -p:PublishTrimmed=true -p:PublishSingleFile=true -p:PublishReadyToRun=true -o $(START_OUT)/r2r-linux-x64
	@ls -la $(START_OUT)/*/kalki-edge

# The shipped form (NativeAOT) built for this machine: what make test runs the replay, live and browser tests on, and
# one of the builds make bench ARGS=start compares. For this machine's instruction sets (as the JIT build uses them):
# NativeAOT otherwise compiles for a baseline x64 and the frame MAC runs its 128-bit path, without AVX. It runs only here.
AOT_X64 := $(START_OUT)/aot-linux-x64
publish-aot-x64: deps
	@tools/ensure-packages.sh clang
	$(DOTNET) publish firmware/KalkiEdge.Host -c Release -r linux-x64 \
	  -p:PublishAot=true -p:PublishTrimmed=true -p:IlcInstructionSet=native -o $(AOT_X64)

# The element reference is generated from the registry; a unit test fails when the checked-in copy differs.
elements-doc:
	$(DOTNET) run --project firmware/KalkiEdge.Host -c $(CONFIG) -- elements --markdown > umboxes/ELEMENTS.md
	$(DOTNET) run --project firmware/KalkiEdge.Host -c $(CONFIG) --no-build -- elements --monitors > docs/device-monitors.md

# The management API's OpenAPI document is made from the endpoints by Microsoft.AspNetCore.OpenApi in a unit test (the
# firmware serves the checked-in file and leaves the generator out); the test fails when the checked-in copy differs.
openapi-doc:
	KALKI_WRITE_OPENAPI=1 $(DOTNET) test tests/KalkiEdge.UnitTests -c $(CONFIG) \
	  --filter "FullyQualifiedName~OpenApiDocumentTests.The_checked_in_document_is_the_one_the_endpoints_make"

# The corpus table is the replay output of every corpus scenario; a replay test fails when the checked-in copy differs.
corpus-doc: deps
	KALKI_WRITE_CORPUS_TABLE=1 $(DOTNET) test tests/KalkiEdge.ReplayTests -c $(CONFIG) \
	  --filter "FullyQualifiedName~CorpusTableTests.The_published_corpus_table_is_the_one_the_corpus_replays_produce"

bench: deps shim
	$(DOTNET) run --project tests/bench/KalkiEdge.Bench -c Release -- $(ARGS)

clean:
	rm -rf out
	find . -name bin -o -name obj -type d -prune | xargs rm -rf

-include hypervisor-shims/shim.mk
-include image-build/image.mk
-include tools/manifest.mk
