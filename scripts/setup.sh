#!/usr/bin/env bash
# Installs the Debian 12 packages PickleScope needs. Usage: scripts/setup.sh [build|gui|test|fixtures|package|all]
#   build    compiler, CMake, Ninja, Qt 6, mimalloc, help2man (man pages) (always)
#   gui      + Xvfb, xdotool, ImageMagick (screenshots, GUI under a virtual display)
#   test     + clang and its sanitizer/fuzzer runtime, Xvfb
#   fixtures + python3-torch, python3-numpy (regenerating fixtures, benchmarks)
#   package  + dpkg-dev (dpkg-shlibdeps for CPack), file (scripts/package.sh)
#   test and all also get desktop-file-utils, appstream, shared-mime-info (package metadata checks)
set -euo pipefail
what="${1:-build}"
pkgs=(g++ cmake ninja-build pkg-config qt6-base-dev libgl-dev libqt6svg6 libmimalloc-dev python3 ccache help2man)
# joblib's compressors (core/formats/decompress)
pkgs+=(zlib1g-dev libbz2-dev liblzma-dev liblz4-dev)
case "$what" in
  build) ;;
  gui) pkgs+=(xvfb xauth xdotool imagemagick) ;;
  test) pkgs+=(clang libclang-rt-14-dev xvfb xauth imagemagick desktop-file-utils appstream shared-mime-info dpkg-dev file man-db openssl) ;;  # openssl: tst_http_source makes a TLS certificate
  fixtures) pkgs+=(python3-torch python3-numpy python3-pandas python3-sklearn python3-joblib python3-lz4 time) ;;
  package) pkgs+=(dpkg-dev file) ;;
  all) pkgs+=(clang libclang-rt-14-dev xvfb xauth xdotool imagemagick python3-torch python3-numpy python3-pandas python3-sklearn python3-joblib python3-lz4 time desktop-file-utils appstream shared-mime-info dpkg-dev file man-db openssl) ;;
  *) echo "usage: $0 [build|gui|test|fixtures|package|all]" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
