# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian 12 packages the project needs, and their installer; sourced by
# scripts/check and scripts/demo (not run on its own).
#
#   deps_build  what configuring and building build/ needs (the demo)
#   deps_all    that plus what every test suite and stage of scripts/check
#               needs, so that nothing skips there
#   deps_install WHO PACKAGE...  install what is missing (apt-get, as root);
#               WHO names the caller in messages

deps_build=(meson ninja-build pkg-config gcc python3 libglib2.0-dev)
deps_all=("${deps_build[@]}" clang liblttng-ust-dev systemtap-sdt-dev lttng-tools babeltrace2
          valgrind binutils util-linux libclang-rt-14-dev
          doxygen g++ groff-base)

deps_install() {
  local who=$1; shift
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && { echo "all packages present"; return 0; }
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "$who: missing packages and not root: apt-get install ${missing[*]}" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q &&
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}
