# U-Boot boot script (compiled to boot.scr on the boot partition by lib/stage-tree.sh): RAUC's bootchooser for
# the two root slots. The boot-attempt counters live in a raw U-Boot environment block in the gap before the
# first partition (sector @ENV_SECTOR@, @ENV_SECTORS@ sectors), the block /etc/fw_env.config names, so RAUC
# (fw_setenv) and this script share it and no file system is written by the bootloader.
#   BOOT_ORDER    slots to try, in order ("A B": A first)
#   BOOT_x_LEFT   boot attempts left for slot x; this script takes one per boot, `rauc status mark-good`
#                 (kalki-mark-good.service, once kalki-edge is READY and healthy) gives them back.
# A slot with no attempts left is skipped, so a new slot that never becomes healthy falls back to the other.
# devtype/devnum come from U-Boot's distro boot (virtio under QEMU -M virt, mmc on a Pi).

setenv kalki_env_addr ${kernel_addr_r}
setenv BOOT_ORDER
setenv BOOT_A_LEFT
setenv BOOT_B_LEFT
if ${devtype} read ${kalki_env_addr} @ENV_SECTOR@ @ENV_SECTORS@ && env import -c ${kalki_env_addr} @ENV_SIZE@ BOOT_ORDER BOOT_A_LEFT BOOT_B_LEFT; then
  echo "kalki-boot: boot state BOOT_ORDER=(${BOOT_ORDER}) A=${BOOT_A_LEFT} B=${BOOT_B_LEFT}"
else
  echo "kalki-boot: no valid boot state on ${devtype} ${devnum}; starting from A with @ATTEMPTS@ attempts each"
fi
test -n "${BOOT_ORDER}" || setenv BOOT_ORDER "A B"
test -n "${BOOT_A_LEFT}" || setenv BOOT_A_LEFT @ATTEMPTS@
test -n "${BOOT_B_LEFT}" || setenv BOOT_B_LEFT @ATTEMPTS@

setenv kalki_slot
for s in ${BOOT_ORDER}; do
  if test -z "${kalki_slot}"; then
    if test "${s}" = "A" && test ${BOOT_A_LEFT} -gt 0; then
      setexpr BOOT_A_LEFT ${BOOT_A_LEFT} - 1
      setenv kalki_slot A
      setenv kalki_part 2
    elif test "${s}" = "B" && test ${BOOT_B_LEFT} -gt 0; then
      setexpr BOOT_B_LEFT ${BOOT_B_LEFT} - 1
      setenv kalki_slot B
      setenv kalki_part 3
    fi
  fi
done

if test -z "${kalki_slot}"; then
  # Both slots used up their attempts (neither became healthy): start over rather than never boot again.
  echo "kalki-boot: no slot has attempts left; resetting both to @ATTEMPTS@"
  setenv BOOT_A_LEFT @ATTEMPTS@
  setenv BOOT_B_LEFT @ATTEMPTS@
  env export -c -s @ENV_SIZE@ ${kalki_env_addr} BOOT_ORDER BOOT_A_LEFT BOOT_B_LEFT
  ${devtype} write ${kalki_env_addr} @ENV_SECTOR@ @ENV_SECTORS@
  reset
fi

# The attempt is counted before the kernel runs: a slot that hangs or panics has used it up.
env export -c -s @ENV_SIZE@ ${kalki_env_addr} BOOT_ORDER BOOT_A_LEFT BOOT_B_LEFT
if ${devtype} write ${kalki_env_addr} @ENV_SECTOR@ @ENV_SECTORS@; then
  echo "kalki-boot: booting slot ${kalki_slot} (partition ${kalki_part}), attempts left A=${BOOT_A_LEFT} B=${BOOT_B_LEFT}"
else
  echo "kalki-boot: WARNING could not store the boot state; booting slot ${kalki_slot} anyway"
fi

# QEMU's virt machine has its console on the PL011; a Pi keeps the consoles of its cmdline.txt.
if test "${board}" = "qemu-arm"; then
  setenv kalki_console "console=ttyAMA0,115200"
else
  setenv kalki_console "@CONSOLES@"
fi
setenv bootargs "@CMDLINE@ ${kalki_console} root=PARTUUID=@DISK_ID@-0${kalki_part} ro rootwait rauc.slot=${kalki_slot}"

# Kernel and initrd come from the chosen slot, so an update replaces them with the root file system.
# Debian's arm64 kernel is gzip-compressed: booti unpacks it at kernel_comp_addr_r.
test -n "${kernel_comp_addr_r}" || setenv kernel_comp_addr_r 0x50000000
load ${devtype} ${devnum}:${kalki_part} ${kernel_addr_r} /boot/vmlinuz || reset
setenv kernel_comp_size ${filesize}
load ${devtype} ${devnum}:${kalki_part} ${ramdisk_addr_r} /boot/initrd.img || reset
setenv kalki_fdt ${fdt_addr}
test -n "${kalki_fdt}" || setenv kalki_fdt ${fdtcontroladdr}
booti ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${kalki_fdt}
echo "kalki-boot: booti of slot ${kalki_slot} failed; resetting (the attempt is already counted)"
reset
