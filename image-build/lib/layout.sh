# shellcheck shell=bash
# The card's A/B layout, shared by the image (assemble.sh), its boot script (stage-tree.sh fills boot.cmd) and
# the QEMU tests. Sourced, never executed. overlay/etc/fw_env.config and rauc/system.conf repeat these numbers
# for the appliance; stage-tree.sh refuses to build when they disagree.

# MBR disk identifier: partitions are named PARTUUID=4b414c4b-0N ("KALK") on any disk the image is written to.
readonly DISK_ID=4b414c4b
readonly PART_BOOT=1 PART_ROOT_A=2 PART_ROOT_B=3 PART_DATA=4
# U-Boot environment block with the boot-attempt counters: 16 KiB at 1 MiB, in the gap before partition 1.
readonly ENV_OFFSET=0x100000 ENV_SIZE=0x4000
readonly ENV_SECTOR=0x800 ENV_SECTORS=0x20
# Boots a slot gets before U-Boot falls back to the other one (RAUC's U-Boot backend restores 3 on mark-good).
readonly BOOT_ATTEMPTS=3
