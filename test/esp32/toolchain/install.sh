#!/bin/sh
# Installs the riscv32-esp-elf-* stand-ins (riscv32-esp-elf-wrap) as symlinks into DIR/bin.
# Needs Debian's gcc-riscv64-unknown-elf, picolibc-riscv64-unknown-elf and libnewlib-dev.
set -eu
dir=${1:?usage: install.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/bin"
for t in gcc g++ c++ cc ar as ld nm objcopy objdump ranlib readelf size strip addr2line gcc-ar gcc-nm gcc-ranlib elfedit; do
  ln -sf "$here/riscv32-esp-elf-wrap" "$dir/bin/riscv32-esp-elf-$t"
done
echo "$dir/bin"
