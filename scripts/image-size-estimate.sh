#!/usr/bin/env bash
# Estimates the size of the runtime image the Dockerfile builds, without a Docker engine, and
# prints the Debian packages its runtime stage must install. Usage:
#   scripts/image-size-estimate.sh build/plinth
# 1. The Debian package of each shared library the binary needs directly (objdump NEEDED, found
#    where ldd resolves it, then dpkg -S): the runtime stage's install list.
# 2. Those packages plus ca-certificates and curl (see the Dockerfile), and everything they
#    depend on (apt-cache depends --recurse, no recommends), minus what debian:12-slim already
#    has: the packages of priority "required" and apt with its dependencies (what
#    `debootstrap --variant=minbase` installs, which the slim image is made from).
# 3. The size of each added package as the slim image installs it: its files (dpkg -L) minus
#    the paths slim images tell dpkg to skip (docs but copyright, man pages, locales, ...:
#    debuerreotype's slimify list). Installed-Size (dpkg-query, counting those too) is shown
#    beside it as an upper bound, and used for a package not installed on this machine.
# 4. The base image's size, the added packages and the stripped binary, summed.
set -euo pipefail
bin=${1:?usage: $0 PATH/TO/plinth}
base_mb=${BASE_MB:-74.8}  # debian:12-slim, unpacked, as `docker images` shows it
extra=(ca-certificates curl)

package_of() {  # the package that installed a library file (tries the /usr-merged twin too)
  local f=$1
  dpkg -S "$f" 2>/dev/null && return
  dpkg -S "${f/#\/lib\//\/usr\/lib\/}" 2>/dev/null && return
  dpkg -S "${f/#\/usr\/lib\//\/lib\/}" 2>/dev/null && return
  echo "no package owns $f" >&2
  return 1
}

declare -A resolved
while read -r name _ path _; do
  [ "$path" != "" ] && resolved[$name]=$path
done < <(ldd "$bin" | awk '/=> \//{print $1, $2, $3}')
direct=()
for lib in $(objdump -p "$bin" | awk '/NEEDED/{print $2}'); do
  direct+=("$(package_of "${resolved[$lib]:?ldd does not resolve $lib}" | cut -d: -f1)")
done
mapfile -t direct < <(printf '%s\n' "${direct[@]}" | sort -u)

closure() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "$@" | grep -v '^ ' | grep -v '^<' | sort -u
}
priority() { apt-cache show --no-all-versions "$1" 2>/dev/null | awk '/^Priority:/{print $2}'; }
installed_size_kb() {
  dpkg-query -W -f='${Installed-Size}' "$1" 2>/dev/null ||
    apt-cache show --no-all-versions "$1" | awk '/^Installed-Size:/{print $2}'
}
slim_excluded='^/usr/share/(doc|groff|info|linda|lintian/overrides|locale|man)/'
slim_size_kb() {
  local files
  files=$(dpkg -L "$1")
  { grep -Ev "$slim_excluded" <<<"$files" || true
    grep -E '^/usr/share/doc/[^/]+/copyright$' <<<"$files" || true; } |
    while read -r f; do
      if [ -f "$f" ] && [ ! -L "$f" ]; then stat -c %s "$f"; fi
    done | awk '{ s += $1 } END { printf "%d\n", s / 1024 }'
}

mapfile -t in_base < <(closure apt)
declare -A base
for p in "${in_base[@]}"; do base[$p]=1; done

total=0 upper=0
printf '%-22s %10s %14s  %s\n' package "slim KiB" "Installed-Size" why
for p in $(closure "${direct[@]}" "${extra[@]}"); do
  [ -n "${base[$p]:-}" ] && continue
  [ "$(priority "$p")" = required ] && continue
  full=$(installed_size_kb "$p")
  kb=$full
  dpkg-query -W "$p" >/dev/null 2>&1 && kb=$(slim_size_kb "$p")
  why=dependency
  printf '%s\n' "${direct[@]}" | grep -qx "$p" && why="plinth links it"
  printf '%s\n' "${extra[@]}" | grep -qx "$p" && why="Dockerfile adds it"
  printf '%-22s %10s %14s  %s\n' "$p" "$kb" "$full" "$why"
  total=$((total + kb))
  upper=$((upper + full))
done
stripped=$(mktemp)
trap 'rm -f "$stripped"' EXIT
strip -o "$stripped" "$bin"
bin_bytes=$(stat -c %s "$stripped")
echo
echo "runtime stage installs: ${direct[*]} ${extra[*]}"
# MB as `docker images` counts them (10^6 bytes); dpkg counts KiB.
awk -v b="$base_mb" -v p="$total" -v u="$upper" -v x="$bin_bytes" 'BEGIN {
  k = 1024 / 1e6
  printf "debian:12-slim %.1f MB + packages %.1f MB + plinth (stripped) %.1f MB = %.1f MB\n",
    b, p * k, x / 1e6, b + p * k + x / 1e6
  printf "upper bound, counting each package'"'"'s Installed-Size: %.1f MB\n",
    b + u * k + x / 1e6 }'
