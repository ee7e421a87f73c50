/** pizlix/stage post step: nothing the stage mounted below $LFS outlives the job, whatever happened. */
import * as core from '@actions/core';
import { errorMessage } from '../../util/errors.js';
import { useActionsLogging } from '../../util/log.js';
import { mountsBelow, unmountBelow } from '../../rootfs/mounts.js';

async function post(): Promise<void> {
  useActionsLogging();
  const lfs = core.getState('lfs');
  if (!lfs) return;
  try {
    const unmounted = await unmountBelow(lfs);
    core.info(unmounted.length > 0 ? `unmounted below ${lfs}: ${unmounted.join(', ')}` : `nothing mounted below ${lfs}`);
    const left = await mountsBelow(lfs);
    if (left.length > 0) core.setFailed(`still mounted below ${lfs}: ${left.join(', ')}`);
  } catch (err) {
    core.setFailed(`post step: ${errorMessage(err)}`);
  }
}

void post();
