#!/bin/bash
# The main job, locally: every stage of a test fixture through the local store, then (when the
# fixture boots) the disk image and the boot test. Run as root on a Debian/Ubuntu machine.
#   scripts/pipeline.sh            the Debian fixture: base, net, gui → disk.img → boot test
#   scripts/pipeline.sh mini       the three-stage mini fixture (seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
fixture=${1:-debian}
work=${PIZLIX_PIPELINE_DIR:-/var/tmp/pizlix-stage-pipeline}
mkdir -p "$work"
exec node dist/cli/index.js pipeline \
  --pizlix-dir "tests/fixtures/$fixture/pizlix" \
  --manifest "tests/fixtures/$fixture/stages.yml" \
  --store-path "$work/store" \
  --lfs "$work/lfs-$fixture" \
  --work-dir "$work/work" \
  --output-dir "$work/out" \
  $( [ "$fixture" = mini ] && echo --no-image )
