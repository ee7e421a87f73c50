/**
 * Boot benchmark on the fixture image (made from the Debian fixture's gui snapshot, built through the
 * local store on first use; or env PIZLIX_TEST_IMAGE, plus PIZLIX_TEST_KERNEL/INITRD/APPEND for an
 * image without a boot loader), under software emulation.
 *
 * Reports seconds from power-on to each verified milestone; the ratio of "sshd verified" (greeting
 * read by the boot test, polling every second) to the moment the guest started sshd (from its /proc):
 * the cost of polling; the ratio of the whole boot test to a bare boot to the first greeting
 * (polled every 200 ms, nothing else done); and `accel: auto` on this machine's KVM against `tcg`:
 * when KVM works, how much faster; when it hangs, what proving that costs before the emulated boot
 * (the goal: less than the emulated boot plus 30 s).
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { runBootTest } from '../src/vm/boot-test.js';
import { Machine } from '../src/vm/machine.js';
import { debianFixtureImage } from '../tests/harness/debian-fixture.js';
import type { AcceleratorChoice } from '../src/vm/accel.js';
import { benchDir, compare, printTable, timed } from './util.js';

export async function benchBoot(): Promise<void> {
  const workDir = await benchDir('boot');
  const image = process.env.PIZLIX_TEST_IMAGE || (await debianFixtureImage(path.join(workDir, 'image'))).image;
  const direct = {
    kernel: process.env.PIZLIX_TEST_KERNEL || undefined,
    initrd: process.env.PIZLIX_TEST_INITRD || undefined,
    append: process.env.PIZLIX_TEST_APPEND || undefined,
  };
  try {
    const bootTest = async (accel: AcceleratorChoice) => {
      const { value, seconds } = await timed(() =>
        runBootTest({
          image,
          ...direct,
          username: 'pizlo',
          password: 'pizlo',
          accel,
          cpus: 2,
          memoryMiB: 2048,
          qemuArgs: [],
          timeoutMultiplier: 1,
          userChecks: [],
          outputDir: path.join(workDir, `boot-test-${accel}`),
        }),
      );
      if (value.result !== 'pass') throw new Error(`the boot test (${accel}) failed: ${value.error ?? value.checks.find((c) => c.verdict === 'fail')?.detail}`);
      return { report: value, seconds };
    };
    const { report, seconds: tcgSeconds } = await bootTest('tcg');

    const bareDir = path.join(workDir, 'bare');
    await mkdir(bareDir);
    const bare = new Machine({
      image,
      ...direct,
      accel: 'tcg',
      cpus: 2,
      memoryMiB: 2048,
      outputDir: bareDir,
      credentials: { username: 'pizlo', password: 'pizlo' },
    });
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

    const auto = await bootTest('auto');
    const decision = auto.report.accelerator;
    printTable('accel auto on this machine against tcg (wall clock of the whole boot test)', [
      ['run', 'seconds', 'accelerator'],
      ['tcg', tcgSeconds.toFixed(1), 'tcg'],
      ['auto', auto.seconds.toFixed(1), `${decision.used} (${decision.kvmSeconds.toFixed(1)} s proving KVM)`],
    ]);
    console.log(decision.reason);
    console.log(
      decision.used === 'kvm'
        ? `auto with working KVM: ${compare(tcgSeconds, auto.seconds)} than tcg`
        : `auto with KVM that does not work: +${(auto.seconds - tcgSeconds).toFixed(1)} s over tcg (goal: under +30 s)`,
    );
    console.log(
      JSON.stringify({
        ...results,
        tcgBootTestSeconds: round(tcgSeconds),
        autoBootTestSeconds: round(auto.seconds),
        autoAccelerator: decision.used,
        autoKvmSeconds: decision.kvmSeconds,
      }),
    );
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
