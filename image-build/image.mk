# SD image targets. Included from the top-level Makefile:  include image-build/image.mk
# Paths are relative to the repository root (where make runs).
#
#   make image-rootfs   stage (a) only: the cached Debian arm64 root file system (slow once, then cached)
#   make image          the flashable image out/image/kalki-edge-<version>-arm64.img.xz (+ .sha256, .packages.tsv)
#   make image-test     boot that image under qemu-system-aarch64 and check /health
#   make bundle         the signed RAUC update bundle out/image/kalki-edge-<version>-arm64.raucb (same tree as image)
#   make update-test    QEMU: v1 -> v2 by dashboard upload, bad bundles refused, a never-ready update falls back
#                       (6+ emulated boots, 30-60 min; needs make image and make publish/shim-arm64 first)
#   make pi-boot-test   QEMU raspi3b: the card's own Pi U-Boot runs boot.scr from the SD card, boots slot A or B, falls back
#   make bundle-test    host test: the bundle verifies against the keyring; other-CA, changed, unsigned are refused
#   make image-clean    drop the image caches (forces a fresh rootfs from the mirror next time)
# All need root (mmdebstrap, binfmt, mke2fs -d of root-owned files); missing host packages are installed.

IMAGE_PAYLOAD_DIR ?= out/publish/linux-arm64
IMAGE_SHIM_SO     ?= out/shim/arm64/libkalkishim.so
IMAGE_OUT_DIR     ?= out/image
IMAGE_COMPRESS    ?= xz

IMAGE_ENV = PAYLOAD_DIR=$(abspath $(IMAGE_PAYLOAD_DIR)) SHIM_SO=$(abspath $(IMAGE_SHIM_SO)) \
            OUT_DIR=$(abspath $(IMAGE_OUT_DIR)) COMPRESS=$(IMAGE_COMPRESS)

.PHONY: image image-rootfs image-test image-clean bundle bundle-test update-test pi-boot-test

image-rootfs:
	ROOTFS_ONLY=1 image-build/build-image.sh

# The image packages whatever publish and shim-arm64 produced; both are targets of the top-level Makefile.
image: publish shim-arm64
	$(IMAGE_ENV) image-build/build-image.sh

bundle: publish shim-arm64
	@tools/ensure-packages.sh rauc squashfs-tools openssl
	BUNDLE=1 $(IMAGE_ENV) image-build/build-image.sh

bundle-test:
	@tools/ensure-packages.sh rauc squashfs-tools openssl e2fsprogs
	image-build/bundle-test.sh

image-test:
	OUT_DIR=$(abspath $(IMAGE_OUT_DIR)) image-build/boot-test.sh

update-test:
	@tools/ensure-packages.sh rauc squashfs-tools openssl u-boot-qemu u-boot-tools openssh-client mtools
	OUT_DIR=$(abspath $(IMAGE_OUT_DIR)) $(IMAGE_ENV) image-build/update-test.sh

pi-boot-test:
	@tools/ensure-packages.sh u-boot-tools mtools qemu-system-arm
	OUT_DIR=$(abspath $(IMAGE_OUT_DIR)) image-build/pi-boot-test.sh

image-clean:
	rm -rf image-build/cache image-build/work $(IMAGE_OUT_DIR)
