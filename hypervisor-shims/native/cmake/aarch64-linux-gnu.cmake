# Cross toolchain for the Pi image (linux-arm64) using Debian's gcc-aarch64-linux-gnu.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(KS_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${KS_CROSS_TRIPLE}-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/${KS_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

# With qemu-user-static present, ctest can run the arm64 test binaries on an x86-64 host.
find_program(KS_QEMU_AARCH64 qemu-aarch64-static)
if(KS_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${KS_QEMU_AARCH64} -L /usr/${KS_CROSS_TRIPLE})
endif()
