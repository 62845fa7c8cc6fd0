#!/usr/bin/env bash
# Builds the `release` preset and its Debian package with CPack:
#   build/package/picklescope_<version>_<arch>.deb   (its path is the last line printed)
# Depends are computed by dpkg-shlibdeps. Usage: scripts/package.sh [--check]
#   --check   also install the package into a scratch root (dpkg -x) and check its files,
#             metadata and executables (tests/package/check_install.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh package
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
out="$PWD/build/package"
mkdir -p "$out"
rm -rf "$out/_CPack_Packages"
(cd build/release && cpack -G DEB -B "$out" >/dev/null)
rm -rf "$out/_CPack_Packages"
version="$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' build/release/CMakeCache.txt)"
arch="$(dpkg --print-architecture)"
deb="$out/picklescope_${version}_${arch}.deb"
[ -f "$deb" ] || { echo "package.sh: CPack did not write $deb" >&2; exit 1; }
if [ "${1:-}" = "--check" ]; then
  tests/package/check_install.sh --deb "$deb" >&2
fi
echo "$deb"
