/** Action entry point: boot the image in QEMU and prove it works the way a person uses it. */
import * as core from '@actions/core';
import { errorMessage } from '../../util/errors.js';
import { useActionsLogging } from '../../util/log.js';
import { bootTestOptions } from '../../options/boot-test.js';
import { readActionOptions } from '../../options/surfaces.js';
import { uploadEvidence } from '../../vm/artifacts.js';
import { runBootTest, type BootTestOptions } from '../../vm/boot-test.js';
import { renderSummary } from '../../vm/report.js';

function readInputs(): BootTestOptions & { artifactName: string; retentionDays: number } {
  const { user, password, checks, memory, ...options } = readActionOptions(bootTestOptions);
  return { ...options, username: user, password, userChecks: checks, memoryMiB: memory };
}

async function main(): Promise<void> {
  useActionsLogging();
  try {
    const options = readInputs();
    const report = await runBootTest(options);
    const a = report.artifacts;
    const files = [a.report, a.serialLog, a.qemuLog, a.westonLog, a.consoleScreenshot, a.westonScreenshot, a.failureScreenshot]
      .filter((f): f is string => Boolean(f));
    const upload = await uploadEvidence(options.artifactName, files, options.outputDir, options.retentionDays);

    core.setOutput('result', report.result);
    core.setOutput('report', a.report);
    core.setOutput('screenshot', a.westonScreenshot ?? a.failureScreenshot ?? '');
    core.setOutput('serial-log', a.serialLog);
    core.setOutput('accelerator', report.accelerator.used);
    await core.summary.addRaw(renderSummary(report, upload.url)).write();

    if (report.result !== 'pass') {
      const failed = report.checks.find((c) => c.verdict === 'fail');
      core.setFailed(report.error ?? `boot test failed at '${failed?.title}': ${failed?.detail}`);
    }
  } catch (err) {
    core.setOutput('result', 'fail');
    core.setFailed(errorMessage(err));
  }
}

// A cancelled job gets SIGINT then SIGTERM: exiting runs the machine's exit hook, which kills QEMU's process group.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(1));
await main();
