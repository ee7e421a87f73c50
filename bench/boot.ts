/**
 * Boot benchmark on the fixture image (made from the Debian fixture's gui snapshot, built through the
 * local store on first use; or env PIZLIX_TEST_IMAGE, plus PIZLIX_TEST_KERNEL/INITRD/APPEND for an
 * image without a boot loader), under software emulation.
 *
 * Reports seconds from power-on to each verified milestone; the ratio of "sshd verified" (greeting
 * read by the boot test, polling every second) to the moment the guest started sshd (from its /proc):
 * the cost of polling; and the ratio of the whole boot test to a bare boot to the first greeting
 * (polled every 200 ms, nothing else done).
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { runBootTest } from '../src/vm/boot-test.js';
import { Machine } from '../src/vm/machine.js';
import { debianFixtureImage } from '../tests/harness/debian-fixture.js';
import { benchDir } from './util.js';

export async function benchBoot(): Promise<void> {
  const workDir = await benchDir('boot');
  const image = process.env.PIZLIX_TEST_IMAGE || (await debianFixtureImage(path.join(workDir, 'image'))).image;
  const direct = {
    kernel: process.env.PIZLIX_TEST_KERNEL || undefined,
    initrd: process.env.PIZLIX_TEST_INITRD || undefined,
    append: process.env.PIZLIX_TEST_APPEND || undefined,
  };
  try {
    const report = await runBootTest({
      image, ...direct, username: 'pizlo', password: 'pizlo', accel: 'tcg', cpus: 2, memoryMiB: 2048,
      qemuArgs: [], timeoutMultiplier: 1, userChecks: [], outputDir: path.join(workDir, 'boot-test'),
    });
    if (report.result !== 'pass') throw new Error(`the boot test failed: ${report.error ?? report.checks.find((c) => c.verdict === 'fail')?.detail}`);

    const bareDir = path.join(workDir, 'bare');
    await mkdir(bareDir);
    const bare = new Machine({ image, ...direct, accel: 'tcg', cpus: 2, memoryMiB: 2048, outputDir: bareDir, credentials: { username: 'pizlo', password: 'pizlo' } });
    let bareGreeting: number;
    try {
      await bare.start();
      await bare.waitForSshGreeting(600, 200);
      bareGreeting = bare.secondsSincePowerOn();
    } finally {
      await bare.shutdown();
    }

    const m = report.milestones;
    const results = {
      milestones: m,
      sshdProcessStartedAt: report.sshdProcessStartedAt,
      bootTestSeconds: report.totalSeconds,
      bareBootToGreetingSeconds: Math.round(bareGreeting * 10) / 10,
      sshdVerifiedOverSshdStarted: report.sshdProcessStartedAt ? round(m.sshd / report.sshdProcessStartedAt) : undefined,
      bootTestOverBareBoot: round(report.totalSeconds / bareGreeting),
    };
    console.log('milestone                     seconds from power-on');
    for (const check of report.checks) console.log(`${check.title.padEnd(30)}${check.finishedAt!.toFixed(1).padStart(8)}`);
    console.log(`${'guest started sshd'.padEnd(30)}${(report.sshdProcessStartedAt ?? NaN).toFixed(1).padStart(8)}`);
    console.log(`${'bare boot: first greeting'.padEnd(30)}${bareGreeting.toFixed(1).padStart(8)}`);
    console.log(`sshd verified / sshd started: ${results.sshdVerifiedOverSshdStarted}`);
    console.log(`whole boot test / bare boot to first greeting: ${results.bootTestOverBareBoot}`);
    console.log(JSON.stringify(results));
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
