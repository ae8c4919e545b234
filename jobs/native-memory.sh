# Sourced by jobs/narrow: the native memory set-up of src/main/resources/narrow/native-memory.properties
# (the one place its values are written; why each: the comments there and docs/engine.md).
# NativeMemorySettingsTest runs these functions.

NARROW_NATIVE_MEMORY="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/src/main/resources/narrow/native-memory.properties"

# the file's `GROUP.NAME=value` lines as NAME=value
native_memory_group() { sed -n "s/^$1\.\([A-Za-z_][A-Za-z0-9_]*=\)/\1/p" "$NARROW_NATIVE_MEMORY"; }

# exports each NAME=value line read from stdin whose variable the caller has not set (an empty
# value counts as set)
native_memory_export_unset() {
  local name value
  while IFS='=' read -r name value; do
    [ -n "${!name+set}" ] || export "$name=$value"
  done
}

# The JVM options that lift JavaCPP's caps on native memory.
native_memory_javacpp_options() { sed -n 's/^javacpp\.options=//p' "$NARROW_NATIVE_MEMORY"; }

# Sets up the allocator NARROW_MALLOC names:
#   glibc (default)  glibc kept from returning memory: no page faults in steady state
#   jemalloc         Debian's libjemalloc2 preloaded, never purging (glibc's settings as well: they
#                    take over where the library is missing); measured no faster than glibc's here
#   none             nothing: the allocator as the caller's environment has it
# Returns 1 with a message for any other value.
native_memory_setup() {
  case "$1" in
    glibc) ;;
    jemalloc)
      local so
      so="$(native_memory_group jemalloc | sed -n 's/^LD_PRELOAD=//p')"
      if [ ! -r "$so" ]; then
        echo "narrow: $so not found (apt-get install libjemalloc2); glibc's settings instead" >&2
      elif [ -z "${LD_PRELOAD+set}" ]; then
        native_memory_export_unset < <(native_memory_group jemalloc)
      fi ;;
    none) return 0 ;;
    *) echo "narrow: NARROW_MALLOC must be glibc, jemalloc or none, not '$1'" >&2; return 1 ;;
  esac
  native_memory_export_unset < <(native_memory_group glibc)
}
