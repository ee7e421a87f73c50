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
# Pizlix's scripts require the user lfs.
if [ "$(id -u)" -eq 0 ] && ! id -u lfs >/dev/null 2>&1; then useradd -m lfs; fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
