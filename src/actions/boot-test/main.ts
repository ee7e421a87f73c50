/** Action entry point: boot the image in QEMU and prove it works the way a person uses it. */
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { InputError, errorMessage } from '../../util/errors.js';
import { parseSize } from '../../util/format.js';
import { log, useActionsLogging } from '../../util/log.js';
import type { AcceleratorChoice } from '../../vm/accel.js';
import { uploadEvidence } from '../../vm/artifacts.js';
import { runBootTest, type BootTestOptions } from '../../vm/boot-test.js';
import { splitArguments } from '../../vm/qemu.js';
import { renderSummary } from '../../vm/report.js';
import { parseUserChecks } from '../../vm/user-checks.js';

function readInputs(): BootTestOptions {
  const username = core.getInput('user') || 'pizlo';
  const password = core.getInput('password') || 'pizlo';
  core.setSecret(username);
  core.setSecret(password);
  const accel = core.getInput('accel') || 'auto';
  if (!['auto', 'kvm', 'tcg'].includes(accel)) throw new InputError('accel', `is '${accel}'`, "'auto', 'kvm' or 'tcg'");
  const cpusText = core.getInput('cpus');
  const cpus = cpusText ? Number(cpusText) : os.availableParallelism();
  const memoryText = core.getInput('memory') || '2G';
  const memoryBytes = parseSize(memoryText);
  if (memoryBytes === undefined) throw new InputError('memory', `is '${memoryText}'`, 'a size such as 2G or 3072M');
  const multiplierText = core.getInput('timeout-multiplier') || '1';
  const outputDir = core.getInput('output-dir') || path.join(process.env.RUNNER_TEMP ?? os.tmpdir(), 'pizlix-boot-test');
  return {
    image: core.getInput('image', { required: true }),
    kernel: core.getInput('kernel') || undefined,
    initrd: core.getInput('initrd') || undefined,
    append: core.getInput('append') || undefined,
    username,
    password,
    accel: accel as AcceleratorChoice,
    cpus,
    memoryMiB: Math.floor(memoryBytes / (1024 * 1024)),
    qemuArgs: splitArguments(core.getInput('qemu-args')),
    timeoutMultiplier: Number(multiplierText),
    userChecks: parseUserChecks(core.getInput('checks')),
    outputDir: path.resolve(outputDir),
  };
}

async function main(): Promise<void> {
  useActionsLogging();
  try {
    const options = readInputs();
    const report = await runBootTest(options);
    const a = report.artifacts;
    const files = [a.report, a.serialLog, a.qemuLog, a.westonLog, a.consoleScreenshot, a.westonScreenshot, a.failureScreenshot]
      .filter((f): f is string => Boolean(f));
    const upload = await uploadEvidence(core.getInput('artifact-name') || 'boot-test', files, options.outputDir,
      Number(core.getInput('retention-days') || '14'));

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
