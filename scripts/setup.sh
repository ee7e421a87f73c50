#!/bin/bash
# Installs what pizlix-stage's tests and local pipeline need on a fresh Debian/Ubuntu machine:
# Debian packages (when root and missing) and the npm packages of package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

# grub2-common brings grub-install, which only the image benchmark uses (it times Pizlix's own route).
# cmake, ninja-build, make, patch and curl: the Fil-C-shaped fixture's compiler stand-ins and downloads.
# ccache and g++: the compiler cache's fixture (a CMake + Ninja C++ project built through ccache).
PACKAGES=(tar zstd pigz git util-linux mount e2fsprogs fdisk grub-pc-bin grub2-common qemu-system-x86 qemu-utils
          debootstrap busybox-static openssh-client ca-certificates cmake ninja-build make patch curl
          ccache g++)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# mke2fs reads a snapshot tarball itself from e2fsprogs 1.47.1 on (no extraction: the disk image's fast
# route). Debian 12 ships 1.47.0; its backports have a newer one. Without it the image extracts the
# snapshot first, which is slower but as correct, so a failure here is a warning.
mke2fs_version() { mke2fs -V 2>&1 | sed -n 's/^mke2fs \([0-9]*\)\.\([0-9]*\)\.\([0-9]*\).*/\1 \2 \3/p'; }
if [ "$(id -u)" -eq 0 ] && grep -qx 'VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null \
   && read -r major minor patch < <(mke2fs_version) && [ $((major * 10000 + minor * 100 + patch)) -lt 14701 ]; then
  echo "installing e2fsprogs from bookworm-backports (mke2fs $major.$minor.$patch cannot read tarballs)"
  sources=/etc/apt/sources.list.d/pizlix-stage-bookworm-backports.sources
  printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm-backports' 'Components: main' \
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' > "$sources"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
           -t bookworm-backports e2fsprogs libext2fs2 libarchive13 >/dev/null; }; then
    echo "warning: could not install e2fsprogs from bookworm-backports; disk images will extract the snapshot first" >&2
  fi
fi
# Pizlix's scripts require the user lfs.
if [ "$(id -u)" -eq 0 ] && ! id -u lfs >/dev/null 2>&1; then useradd -m lfs; fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
