#!/usr/bin/env bash
# Makes a real Exim available to the tests without installing it: `apt-get install exim4*`
# would remove Postfix (both provide mail-transport-agent), so the Debian packages
# exim4-base, exim4-config and exim4-daemon-light are downloaded and unpacked with
# `dpkg -x` into a cache directory keyed by their version:
#   /var/cache/madman-test/exim-<version>/usr/sbin/exim4      (the binary, setuid root)
#   /var/cache/madman-test/exim-<version>/usr/sbin/eximstats  (the benchmark's peer)
#   /var/cache/madman-test/exim -> exim-<version>            (what the tests read)
# MADMAN_TEST_CACHE moves the cache. The libraries the binary links against that are not
# installed (libidn12 on a fresh bookworm) are installed with apt (plain libraries, no MTA),
# and the `Debian-exim` system user the binary was built for is created; libnet-ssleay-perl
# lets swaks speak STARTTLS to it.
# Safe when several worktrees run it at once (one lock, unpacking into a temporary
# directory renamed into place); quick when everything is there.
set -euo pipefail
cache=${MADMAN_TEST_CACHE:-/var/cache/madman-test}
link="$cache/exim"

ready() {
  [ -x "$link/usr/sbin/exim4" ] && [ -f "$link/usr/sbin/eximstats" ] &&
    getent passwd Debian-exim >/dev/null &&
    ! ldd "$link/usr/sbin/exim4" 2>/dev/null | grep -q 'not found' &&
    perl -MNet::SSLeay -e1 2>/dev/null
}
if ready; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "test-deps: need root to unpack Exim into $cache and create the Debian-exim user" >&2
  exit 1
fi
mkdir -p "$cache"
exec 9>"$cache/.exim.lock"
flock 9
if ready; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive

# The system user the Debian build runs as (every exim4 command fails without it).
if ! getent passwd Debian-exim >/dev/null; then
  getent group Debian-exim >/dev/null || groupadd -r Debian-exim 2>/dev/null || true
  useradd -r -M -d /var/spool/exim4 -s /usr/sbin/nologin -g Debian-exim Debian-exim 2>/dev/null ||
    getent passwd Debian-exim >/dev/null
fi

work=$(mktemp -d "$cache/.exim-dl.XXXXXX")
trap 'rm -rf "$work"' EXIT
pkgs=(exim4-base exim4-config exim4-daemon-light)
download() { (cd "$work" && apt-get download -qq "${pkgs[@]}" >/dev/null 2>&1); }
if ! download; then
  apt-get update -qq -o DPkg::Lock::Timeout=600
  download
fi
version=$(dpkg-deb -f "$work"/exim4-daemon-light_*.deb Version)
dir="$cache/exim-$version"
if [ ! -x "$dir/usr/sbin/exim4" ]; then
  mkdir "$work/root"
  for deb in "$work"/*.deb; do dpkg -x "$deb" "$work/root"; done
  rm -rf "$dir"
  mv "$work/root" "$dir"
fi

# Libraries the binary needs that this machine lacks: install the packages exim4-daemon-light
# depends on whose libraries are missing (lib* only; the first of alternatives).
if ldd "$dir/usr/sbin/exim4" | grep -q 'not found'; then
  missing=()
  deps=$(dpkg-deb -f "$work"/exim4-daemon-light_*.deb Depends)
  IFS=',' read -ra parts <<<"$deps"
  for p in "${parts[@]}"; do
    name=$(echo "${p%%|*}" | sed -E 's/\(.*\)//; s/[[:space:]]//g')
    case "$name" in lib*) ;; *) continue ;; esac
    dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'ok installed' || missing+=("$name")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "test-deps: installing ${missing[*]} (libraries of the unpacked Exim)" >&2
    apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null ||
      { apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null; }
  fi
fi
# swaks --tls (STARTTLS to the test Exim) needs Net::SSLeay
if ! perl -MNet::SSLeay -e1 2>/dev/null; then
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends libnet-ssleay-perl >/dev/null
fi
ln -sfn "exim-$version" "$cache/.exim-link.$$"
mv -T "$cache/.exim-link.$$" "$link"
if ! ready; then
  echo "test-deps: Exim unpacked into $dir but not usable:" >&2
  ldd "$dir/usr/sbin/exim4" | grep 'not found' >&2 || true
  exit 1
fi
echo "test-deps: Exim $version unpacked into $dir" >&2
