/** Action entry point: boot the image in QEMU and prove it works the way a person uses it. */
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { InputError, errorMessage } from '../../util/errors.js';
import { parseSize } from '../../util/format.js';
import { useActionsLogging } from '../../util/log.js';
import { uploadEvidence } from '../../vm/artifacts.js';
import { runBootTest, type BootTestOptions } from '../../vm/boot-test.js';
import { grantKvmAccess } from '../../vm/kvm-access.js';
import { splitArguments } from '../../vm/qemu.js';
import { renderSummary, type BootTestReport } from '../../vm/report.js';
import { parseUserChecks } from '../../vm/user-checks.js';
import { booleanInput, choiceInput, numberInput, pathInput, requiredInput, runnerTemp, textInput } from '../inputs.js';

interface ActionInputs {
  boot: BootTestOptions;
  artifactName: string;
  retentionDays: number;
  grantKvmAccess: boolean;
}

/** Every input, validated; each error names its input, what was wrong and what would be right. */
function readInputs(): ActionInputs {
  const username = textInput('user', 'pizlo');
  const password = textInput('password', 'pizlo');
  core.setSecret(username);
  core.setSecret(password);
  const memoryText = textInput('memory', '2G');
  const memoryBytes = parseSize(memoryText);
  if (memoryBytes === undefined) throw new InputError('memory', `'${memoryText}' is not a size`, 'a size such as 2G or 3072M');
  const timeoutMultiplier = numberInput('timeout-multiplier') ?? 1;
  if (!(timeoutMultiplier > 0)) throw new InputError('timeout-multiplier', `is ${timeoutMultiplier}`, 'a number > 0');
  requiredInput('image', 'the path of a disk image (raw or qcow2)');
  return {
    boot: {
      image: pathInput('image'),
      kernel: pathInput('kernel') || undefined,
      initrd: pathInput('initrd') || undefined,
      append: textInput('append') || undefined,
      username,
      password,
      accel: choiceInput('accel', ['auto', 'kvm', 'tcg'] as const, 'auto'),
      cpus: numberInput('cpus', { min: 1, integer: true }) ?? os.availableParallelism(),
      memoryMiB: Math.floor(memoryBytes / (1024 * 1024)),
      qemuArgs: splitArguments(core.getInput('qemu-args')),
      timeoutMultiplier,
      userChecks: parseUserChecks(core.getInput('checks')),
      outputDir: pathInput('output-dir') || runnerTemp('pizlix-boot-test'),
      // Not an input: the tests point the KVM device check elsewhere to reproduce each KVM state.
      kvmDevice: process.env.PIZLIX_STAGE_KVM_DEVICE || undefined,
    },
    artifactName: textInput('artifact-name', 'boot-test'),
    // GitHub keeps artifacts 1 to 90 days by default; a repository's setting may allow up to 400.
    retentionDays: numberInput('retention-days', { min: 1, max: 400, integer: true }) ?? 14,
    grantKvmAccess: booleanInput('grant-kvm-access'),
  };
}

async function main(): Promise<void> {
  useActionsLogging();
  try {
    const inputs = readInputs();
    if (inputs.grantKvmAccess && inputs.boot.accel !== 'tcg') await grantKvmAccess();
    const report = await runBootTest(inputs.boot);
    const upload = await uploadEvidence(inputs.artifactName, evidenceFiles(report), inputs.boot.outputDir, inputs.retentionDays);
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
  const files = [a.report, a.serialLog, a.firmwareLog, a.qemuLog, ...a.kvmAttemptLogs, ...a.kvmAttemptScreens, a.westonLog, a.consoleScreenshot, a.westonScreenshot, a.failureScreenshot];
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

// A cancelled job gets SIGINT then SIGTERM: exiting runs the machine's exit hook, which kills QEMU's process group.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(1));
await main();
