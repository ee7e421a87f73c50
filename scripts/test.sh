#!/bin/bash
# The test command: installs what the tests need, then runs them all (as root: they mount, mknod, boot QEMU).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec npm test
