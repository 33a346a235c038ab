#!/usr/bin/env bash
# Installs the Debian packages the tests and demo use, if missing:
# iproute2 (ip netns, veth), iputils-ping, util-linux (setpriv).
# Only as root (namespace tests need root anyway); otherwise says what is missing.
set -euo pipefail
need=()
command -v ip >/dev/null || need+=(iproute2)
command -v ping >/dev/null || need+=(iputils-ping)
command -v setpriv >/dev/null || need+=(util-linux)
for extra in "$@"; do
  command -v "${extra%%:*}" >/dev/null || need+=("${extra##*:}")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${need[*]} (run as root to install them; namespace tests will be skipped)" >&2
  exit 0
fi
echo "system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
