#!/bin/bash
# Stand-in for ESP-IDF's idf.py, first on PATH while mcconfig runs (test/esp32/mcconfig.node.test.ts,
# docs/ESP32.md section 4). It appends every call's arguments, one call per line, to $IDPGATE_IDF_LOG (if set).
# `reconfigure` runs CMake's configure step of the project in the current directory (Moddable runs it from
# xsProj-<chip>) with the -D arguments it was given, from its build/ directory as idf.py does: Moddable's
# main/CMakeLists.txt includes ../../xs_idf_deps.txt, which ESP-IDF's script-mode requirement pass resolves
# against that working directory. That generates build/config/sdkconfig.h from SDKCONFIG_DEFAULTS. Every other command (build, flash, monitor, add-dependency, ...) only records and
# succeeds: nothing is built or flashed.
set -euo pipefail
if [ -n "${IDPGATE_IDF_LOG:-}" ]; then
  printf '%q ' "$@" >>"$IDPGATE_IDF_LOG"
  printf '\n' >>"$IDPGATE_IDF_LOG"
fi
defines=() command=""
while [ $# -gt 0 ]; do
  case "$1" in
    -D) defines+=("-D$2"); shift 2 ;;
    -D*) defines+=("$1"); shift ;;
    -p | -b | -C | -B) shift 2 ;;
    -*) shift ;;
    *) [ -n "$command" ] || command=$1; shift ;;
  esac
done
if [ "$command" = reconfigure ]; then
  # What idf.py adds: no component manager here (it would fetch), Python known good, no ROM ELFs needed.
  export IDF_COMPONENT_MANAGER=0 ESP_ROM_ELF_DIR=${ESP_ROM_ELF_DIR:-$PWD/build/no-rom-elfs}
  mkdir -p build && cd build
  exec cmake -G Ninja -S .. -B . -DPYTHON_DEPS_CHECKED=1 -DPYTHON="${IDPGATE_IDF_PYTHON:-python3}" \
    -DESP_PLATFORM=1 -DCCACHE_ENABLE=0 "${defines[@]}"
fi
exit 0
