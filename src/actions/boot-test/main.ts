/** Action entry point: boot the image in QEMU and prove it works the way a person uses it. */
import * as core from '@actions/core';
import { errorMessage } from '../../util/errors.js';
import { useActionsLogging } from '../../util/log.js';
import { bootTestOptions } from '../../options/boot-test.js';
import { readActionOptions } from '../../options/surfaces.js';
import { uploadEvidence } from '../../vm/artifacts.js';
import { runBootTest, type BootTestOptions } from '../../vm/boot-test.js';
import { grantKvmAccess } from '../../vm/kvm-access.js';
import { renderSummary, type BootTestReport } from '../../vm/report.js';

function readInputs(): BootTestOptions & { artifactName: string; retentionDays: number; grantKvmAccess: boolean } {
  const { user, password, checks, memory, ...options } = readActionOptions(bootTestOptions);
  // Not an input: the tests point the KVM device check elsewhere to reproduce each KVM state.
  const kvmDevice = process.env.PIZLIX_STAGE_KVM_DEVICE || undefined;
  return { ...options, username: user, password, userChecks: checks, memoryMiB: memory, kvmDevice };
}

async function main(): Promise<void> {
  useActionsLogging();
  try {
    const options = readInputs();
    if (options.grantKvmAccess && options.accel !== 'tcg') await grantKvmAccess();
    const report = await runBootTest(options);
    const upload = await uploadEvidence(options.artifactName, evidenceFiles(report), options.outputDir, options.retentionDays);
    publishOutputs(report);
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

function evidenceFiles(report: BootTestReport): string[] {
  const a = report.artifacts;
  const files = [
    a.report,
    a.serialLog,
    a.firmwareLog,
    a.qemuLog,
    ...a.kvmAttemptLogs,
    ...a.kvmAttemptScreens,
    a.westonLog,
    a.consoleScreenshot,
    a.westonScreenshot,
    a.failureScreenshot,
  ];
  return [...new Set(files.filter((f): f is string => Boolean(f)))];
}

function publishOutputs(report: BootTestReport): void {
  const a = report.artifacts;
  core.setOutput('result', report.result);
  core.setOutput('report', a.report);
  core.setOutput('screenshot', a.westonScreenshot ?? a.failureScreenshot ?? '');
  core.setOutput('serial-log', a.serialLog);
  core.setOutput('accelerator', report.accelerator.used);
  core.setOutput('accelerator-reason', report.accelerator.reason);
}

await main();
