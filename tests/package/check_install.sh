#!/usr/bin/env bash
# Installs PickleScope into a scratch root and checks what lands there:
#   tests/package/check_install.sh --deb build/package/picklescope_<version>_<arch>.deb
#       dpkg -x the package (no root needed), then check it (also its control: Depends made by
#       dpkg-shlibdeps, the version)
#   tests/package/check_install.sh --build-dir build/dev
#       cmake --install that build into the scratch root, then check it
# Checks: the files (executables, desktop file, icons, MIME XML, AppStream metainfo, man pages,
# copyright); desktop-file-validate and appstreamcli validate --no-net accept the metadata;
# update-mime-database compiles the MIME XML and maps .pt / .pkl to our types; the installed
# picklescope-cli and picklescope print the version, and `scan` exits 3 on a malicious pickle.
# Exit 0 when every check passes, 1 on the first failure, 77 when a tool it needs is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "$here/../.." && pwd)"
mode="${1:-}"
input="${2:-}"
[ -n "$mode" ] && [ -n "$input" ] || { echo "usage: $0 --deb FILE | --build-dir DIR" >&2; exit 2; }

for tool in desktop-file-validate appstreamcli update-mime-database help2man dpkg-deb file man; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup.sh test)"; exit 77; }
done
version="$(sed -n 's/^project(PickleScope VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

case "$mode" in
  --deb)
    [ -f "$input" ] || fail "no package at $input"
    case "$(basename "$input")" in picklescope_"$version"_*.deb) ;; *) fail "package name $(basename "$input") does not carry version $version" ;; esac
    dpkg-deb -x "$input" "$root"
    [ "$(dpkg-deb -f "$input" Package)" = picklescope ] || fail "Package field"
    [ "$(dpkg-deb -f "$input" Version)" = "$version" ] || fail "Version field is not $version"
    depends="$(dpkg-deb -f "$input" Depends)"
    for lib in libqt6core6 libqt6widgets6 libc6 libqt6svg6; do
      echo "$depends" | grep -q "$lib" || fail "Depends lacks $lib: $depends"
    done
    pass "control: picklescope $version, Depends: $depends"
    ;;
  --build-dir)
    cmake --install "$input" --prefix "$root/usr" >/dev/null
    ;;
  *) echo "usage: $0 --deb FILE | --build-dir DIR" >&2; exit 2 ;;
esac

usr="$root/usr"
for f in bin/picklescope-cli bin/picklescope \
         share/applications/picklescope.desktop \
         share/icons/hicolor/scalable/apps/picklescope.svg \
         share/icons/hicolor/256x256/apps/picklescope.png \
         share/mime/packages/picklescope.xml \
         share/metainfo/io.github.picklescope.PickleScope.metainfo.xml \
         share/man/man1/picklescope.1.gz share/man/man1/picklescope-cli.1.gz \
         share/doc/picklescope/copyright; do
  [ -s "$usr/$f" ] || fail "missing /usr/$f"
done
[ -x "$usr/bin/picklescope-cli" ] && [ -x "$usr/bin/picklescope" ] || fail "executables are not executable"
file "$usr/share/icons/hicolor/256x256/apps/picklescope.png" | grep -q "256 x 256" || fail "the PNG icon is not 256 px"
pass "files installed"

desktop-file-validate "$usr/share/applications/picklescope.desktop" || fail "desktop-file-validate"
grep -q '^MimeType=.*application/x-pytorch-checkpoint;' "$usr/share/applications/picklescope.desktop" || fail "desktop file lacks the checkpoint type"
appstreamcli validate --no-net "$usr/share/metainfo/io.github.picklescope.PickleScope.metainfo.xml" >/dev/null || {
  appstreamcli validate --no-net "$usr/share/metainfo/io.github.picklescope.PickleScope.metainfo.xml"; fail "appstreamcli validate"; }
grep -q "release version=\"$version\"" "$usr/share/metainfo/io.github.picklescope.PickleScope.metainfo.xml" || fail "metainfo release is not $version"
pass "desktop-file-validate and appstreamcli validate accept the metadata"

# The MIME XML compiles, and the shared-mime-info database it makes names our types.
mime="$root/mime"
mkdir -p "$mime/packages"
cp "$usr/share/mime/packages/picklescope.xml" "$mime/packages/"
update-mime-database "$mime" >/dev/null 2>&1 || fail "update-mime-database rejects the MIME XML"
for t in application/x-python-pickle application/x-pytorch-checkpoint application/x-numpy-array; do
  grep -q "^$t:" "$mime/globs2" 2>/dev/null || grep -q ":$t:" "$mime/globs2" || fail "globs2 lacks $t"
done
grep -q ':application/x-pytorch-checkpoint:\*\.pt$' "$mime/globs2" || fail ".pt is not a checkpoint"
grep -q ':application/x-python-pickle:\*\.pkl$' "$mime/globs2" || fail ".pkl is not a pickle"
pass "update-mime-database compiles the MIME types"

# man pages render
for page in picklescope picklescope-cli; do
  man -l "$usr/share/man/man1/$page.1.gz" 2>/dev/null | grep -q "$page" || fail "man page $page does not render"
done
pass "man pages render"

# The installed executables run (against the system's libraries).
[ "$("$usr/bin/picklescope-cli" --version)" = "picklescope-cli $version" ] || fail "picklescope-cli --version"
[ "$("$usr/bin/picklescope" --version)" = "picklescope $version" ] || fail "picklescope --version"
set +e
"$usr/bin/picklescope-cli" scan "$src/tests/data/safety/malicious/os_system_p0.pkl" >/dev/null
rc=$?
set -e
[ "$rc" = 3 ] || fail "scan of a malicious pickle exited $rc, not 3"
pass "installed picklescope-cli and picklescope run: version $version, scan exits 3 on os.system"

# URLs: the installed CLI finds its HTTP plugin (lib/picklescope/picklescope-cli-http.so) and gets
# as far as the connection (port 9 of this machine: refused).
plugin="$(find "$usr/lib" -path '*/picklescope/picklescope-cli-http.so' | head -n 1)"
[ -n "$plugin" ] || fail "missing the HTTP plugin under /usr/lib/.../picklescope/"
set +e
err="$("$usr/bin/picklescope-cli" info http://127.0.0.1:9/none.pt 2>&1 >/dev/null)"
set -e
case "$err" in *"HTTP plugin"*|"") fail "picklescope-cli does not load its HTTP plugin: $err" ;; esac
pass "installed picklescope-cli loads ${plugin#"$usr"} for URLs"
echo "all checks passed"
