#!/usr/bin/env bash
# extract-debs.sh NAME PACKAGE...
#
# Makes Debian packages usable by the tests WITHOUT installing them: `apt-get download`
# each PACKAGE and `dpkg -x` it into $MADMAN_DEB_CACHE/NAME-VERSION (VERSION: the
# candidate version of the first PACKAGE), then points the symlink $MADMAN_DEB_CACHE/NAME
# at it. For MTAs whose installation would remove Postfix (sendmail, exim4: each provides
# mail-transport-agent), while the tests still run the real binaries.
#
# - Idempotent and quick: when $MADMAN_DEB_CACHE/NAME/.complete exists nothing is asked of
#   apt (a new version is fetched once that symlink is removed, or with --refresh).
# - Safe when several worktrees run it at once: one flock per NAME, extraction into a
#   temporary directory renamed into place, the symlink replaced atomically.
# - The lib* packages the extracted binaries depend on (their Depends field) are installed
#   with apt-get: libraries conflict with nothing. The list is kept in DIR/.lib-depends and
#   checked on every run (DIR/.packages and DIR/.version say what was extracted).
# Needs root for the cache under /var/cache and for apt-get install.
set -euo pipefail
refresh=no
if [ "${1:-}" = --refresh ]; then refresh=yes; shift; fi
name=${1:?usage: extract-debs.sh [--refresh] NAME PACKAGE...}
shift
[ $# -gt 0 ] || { echo "extract-debs: no packages for $name" >&2; exit 2; }
cache=${MADMAN_DEB_CACHE:-/var/cache/madman-test}
link=$cache/$name

install_libs() {
  local dir=$1 missing=()
  [ -s "$dir/.lib-depends" ] || return 0
  for p in $(cat "$dir/.lib-depends"); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "extract-debs: installing libraries for $name: ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
}

if [ "$refresh" = no ] && [ -e "$link/.complete" ]; then
  install_libs "$link"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "extract-debs: need root to fetch $* into $cache (or set MADMAN_DEB_CACHE)" >&2
  exit 1
fi
mkdir -p "$cache"
exec 9>"$cache/.$name.lock"
flock 9
# another run may have finished while we waited for the lock
if [ "$refresh" = no ] && [ -e "$link/.complete" ]; then
  install_libs "$link"
  exit 0
fi

candidate() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'; }
version=$(candidate "$1")
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  apt-get update -qq -o DPkg::Lock::Timeout=600
  version=$(candidate "$1")
fi
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  echo "extract-debs: apt knows no candidate for $1" >&2
  exit 1
fi
dir=$cache/$name-$version
if [ ! -e "$dir/.complete" ]; then
  tmp=$(mktemp -d "$cache/.$name-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # apt-get download as root warns that _apt cannot write here (harmless): let _apt write.
  chmod 755 "$tmp"
  mkdir "$tmp/debs"
  chown _apt "$tmp/debs" 2>/dev/null || true
  pkgs=()
  for p in "$@"; do pkgs+=("$p=$version"); done
  (cd "$tmp/debs" && apt-get download -qq "${pkgs[@]}" >/dev/null)
  mkdir "$tmp/root"
  : >"$tmp/.lib-depends"
  for deb in "$tmp"/debs/*.deb; do
    dpkg -x "$deb" "$tmp/root"
    # "libfoo (>= 1), libbar | libbaz" -> the lib* names (first alternative)
    dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//; s/ //g' |
      grep '^lib' >>"$tmp/.lib-depends" || true
  done
  printf '%s\n' "$@" >"$tmp/.packages"
  echo "$version" >"$tmp/.version"
  rm -rf "$tmp/debs"
  mv "$tmp/.lib-depends" "$tmp/.packages" "$tmp/.version" "$tmp/root/"
  touch "$tmp/root/.complete"
  chmod 755 "$tmp/root"
  rm -rf "$dir"
  mv "$tmp/root" "$dir"
  rm -rf "$tmp"
  trap - EXIT
fi
ln -sfn "$(basename "$dir")" "$cache/.$name.new"
mv -T "$cache/.$name.new" "$link"
install_libs "$dir"
echo "extract-debs: $* $version in $dir" >&2
