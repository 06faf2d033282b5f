# KalkiEdge hypervisor shim (libkalkishim.so). Included from the top-level Makefile:
#     include hypervisor-shims/shim.mk
# Paths are relative to the repository root, where make runs.
#
#   make shim              host build        -> out/shim/host/libkalkishim.so
#   make shim-arm64        linux-arm64 build -> out/shim/arm64/libkalkishim.so
#   make shim-test         host build + C unit tests (ctest)
#   make shim-arm64-test   arm64 build + the same tests under qemu-user
#   make shim-clean

SHIM_SRC        := hypervisor-shims/native
SHIM_OUT        := out/shim
SHIM_BUILD_TYPE ?= Release
SHIM_JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
SHIM_APT        := DEBIAN_FRONTEND=noninteractive apt-get
SHIM_TOOLCHAIN  := $(abspath $(SHIM_SRC)/cmake/aarch64-linux-gnu.cmake)

# $(call shim_build,<arch dir>,<extra cmake arguments>): configure + build into $(SHIM_OUT)/<arch dir>/.
define shim_build
	cmake -S $(SHIM_SRC) -B $(SHIM_OUT)/$(1)/build -DCMAKE_BUILD_TYPE=$(SHIM_BUILD_TYPE) \
	      -DCMAKE_LIBRARY_OUTPUT_DIRECTORY=$(abspath $(SHIM_OUT)/$(1)) $(2)
	cmake --build $(SHIM_OUT)/$(1)/build -j $(SHIM_JOBS)
	@echo "shim: built $(SHIM_OUT)/$(1)/libkalkishim.so"
endef

# $(call shim_ensure,<command>,<Debian packages>): installs the packages when the command is missing.
define shim_ensure
	@command -v $(1) >/dev/null 2>&1 || { $(SHIM_APT) update && $(SHIM_APT) install -y $(2); }
endef

.PHONY: shim shim-arm64 shim-test shim-arm64-test shim-clean shim-tools shim-cross-tools shim-qemu-tools

shim-tools:
	$(call shim_ensure,cmake,cmake)
	$(call shim_ensure,gcc,gcc libc6-dev)

shim-cross-tools: shim-tools
	$(call shim_ensure,aarch64-linux-gnu-gcc,gcc-aarch64-linux-gnu)

shim-qemu-tools:
	$(call shim_ensure,qemu-aarch64-static,qemu-user-static)

shim: shim-tools
	$(call shim_build,host,)

shim-arm64: shim-cross-tools
	$(call shim_build,arm64,-DCMAKE_TOOLCHAIN_FILE=$(SHIM_TOOLCHAIN))

shim-test: shim
	cd $(SHIM_OUT)/host/build && ctest --output-on-failure --output-junit $(abspath $(or $(RESULTS),out/test-results))/shim.junit.xml

# The toolchain file picks up qemu-aarch64-static as the test emulator when it is installed.
shim-arm64-test: shim-cross-tools shim-qemu-tools
	$(call shim_build,arm64,-DCMAKE_TOOLCHAIN_FILE=$(SHIM_TOOLCHAIN))
	cd $(SHIM_OUT)/arm64/build && ctest --output-on-failure

shim-clean:
	rm -rf $(SHIM_OUT)
