#!/usr/bin/env bash
# Installs the Debian packages the tests, demo and benchmarks use, if missing:
# iproute2 (ip netns, veth), iputils-ping, util-linux (setpriv), OpenSSL 3's
# libcrypto (modern links seal in place with it), and any extra CHECK:PACKAGE
# arguments (CHECK is a command name, an absolute path, or a shared library's
# soname such as libgnutls.so.30, looked up in the linker's cache).
# Only as root; otherwise it says what is missing and the tests that need it skip.
set -euo pipefail
need=()
have() {
  case "$1" in
    /*) [ -x "$1" ] ;;
    *.so.*) /sbin/ldconfig -p 2>/dev/null | grep -qF "$1 " ;;
    *) command -v "$1" >/dev/null ;;
  esac
}
have ip || need+=(iproute2)
have ping || need+=(iputils-ping)
have setpriv || need+=(util-linux)
have libcrypto.so.3 || need+=(libssl3)
for extra in "$@"; do
  have "${extra%%:*}" || need+=("${extra##*:}")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${need[*]} (run as root to install them; the tests that need them will be skipped)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# libraries renamed for 64-bit time from Debian 13 on: libssl3 is libssl3t64 there
for i in "${!need[@]}"; do
  case "${need[$i]}" in
    lib*) if apt-cache show "${need[$i]}t64" >/dev/null 2>&1; then need[$i]="${need[$i]}t64"; fi ;;
  esac
done
echo "system-deps: installing ${need[*]}" >&2
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
