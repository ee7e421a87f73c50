/** The boot test's record: a JSON report for machines and a markdown summary for people. */
import { writeFile } from 'node:fs/promises';
import { formatDuration } from '../util/format.js';
import type { AcceleratorDecision } from './accel.js';
import type { CheckResult } from './checks.js';
import { describeColour, type DesktopAnalysis } from './screen.js';

export interface BootTestArtifacts {
  report: string;
  serialLog: string;
  qemuLog: string;
  /** SeaBIOS's log from the debug port: how far the firmware got. */
  firmwareLog: string;
  /** The serial, firmware and QEMU logs of KVM attempts that were stopped. */
  kvmAttemptLogs: string[];
  /** The screens of those attempts when they were stopped. */
  kvmAttemptScreens: string[];
  westonLog?: string;
  consoleScreenshot?: string;
  westonScreenshot?: string;
  /** The screen when a check failed. */
  failureScreenshot?: string;
}

export interface BootTestReport {
  result: 'pass' | 'fail';
  /** What ended the run when it was not a check's verdict (QEMU would not start, ...). */
  error?: string;
  image: string;
  accelerator: AcceleratorDecision;
  cpus: number;
  memoryMiB: number;
  timeoutMultiplier: number;
  /** The accelerator's factor on the built-in checks' base deadlines (DEADLINE_FACTORS). */
  deadlineFactor?: number;
  startedAt: string;
  /** Seconds from power-on to the end of the run. */
  totalSeconds: number;
  /** Seconds from power-on to each passed check. */
  milestones: Record<string, number>;
  /** When the guest started sshd (read from its /proc), seconds from power-on. */
  sshdProcessStartedAt?: number;
  checks: CheckResult[];
  desktop?: DesktopAnalysis;
  /** The last serial lines, kept when the run failed. */
  serialTail?: string;
  artifacts: BootTestArtifacts;
}

export function milestonesOf(checks: CheckResult[]): Record<string, number> {
  const milestones: Record<string, number> = {};
  for (const check of checks) {
    if (check.verdict === 'pass' && check.finishedAt !== undefined) milestones[check.id] = round(check.finishedAt);
  }
  return milestones;
}

export async function writeReport(report: BootTestReport): Promise<void> {
  await writeFile(report.artifacts.report, `${JSON.stringify(report, null, 2)}\n`);
}

const VERDICT_MARK = { pass: '✅ pass', fail: '❌ fail', skipped: '⏭️ skipped' } as const;

/** The job summary: verdict table, milestones, accelerator, screenshot; on failure the serial tail and what was tried. */
export function renderSummary(report: BootTestReport, screenshotLink?: string): string {
  const lines: string[] = [];
  lines.push(`## Boot test: ${report.result === 'pass' ? '✅ passed' : '❌ failed'}`, '');
  const { accelerator } = report;
  const factor = report.deadlineFactor !== undefined ? `×${report.deadlineFactor} for ${accelerator.used}, ` : '';
  lines.push(
    `Image \`${report.image}\` — accelerator **${accelerator.used}**, ` +
      `${report.cpus} CPUs, ${report.memoryMiB} MiB, deadlines ${factor}×${report.timeoutMultiplier} (timeout-multiplier), ` +
      `${formatDuration(report.totalSeconds)} from power-on to the end.`,
    '',
  );
  const kvmTime = accelerator.kvmSeconds > 0 ? ` (${formatDuration(accelerator.kvmSeconds)} spent on KVM before the judged boot)` : '';
  lines.push(`**Accelerator:** ${escapeCell(accelerator.reason)}${kvmTime}.`, '');
  if (report.error) lines.push(`**Error:** ${escapeCell(report.error)}`, '');
  if (report.checks.length) {
    lines.push('| check | verdict | done at | deadline | detail |', '|---|---|---|---|---|');
    for (const check of report.checks) {
      const at = check.finishedAt === undefined ? '' : `${check.finishedAt.toFixed(1)} s`;
      lines.push(
        `| ${escapeCell(check.title)} | ${VERDICT_MARK[check.verdict]} | ${at} | ${formatDuration(check.deadlineSeconds)} | ${escapeCell(firstLine(check.detail))} |`,
      );
    }
    lines.push('');
  }
  if (report.sshdProcessStartedAt !== undefined && report.milestones.sshd !== undefined) {
    lines.push(
      `The guest started sshd ${report.sshdProcessStartedAt.toFixed(1)} s after power-on; its greeting was verified at ${report.milestones.sshd.toFixed(1)} s.`,
      '',
    );
  }
  if (report.desktop) {
    const d = report.desktop;
    lines.push(
      `Desktop: top band ${describeColour(d.panel.colour)} (${(100 * d.panel.share).toFixed(0)}% of it), background ${describeColour(d.background.colour)}; ` +
        `panel ${d.panelDiffersFromBackground ? 'differs from' : 'does NOT differ from'} the background.`,
      '',
    );
  }
  const shot = screenshotLink ?? report.artifacts.westonScreenshot ?? report.artifacts.failureScreenshot;
  if (shot) lines.push(`Screenshot: ${screenshotLink ? `[artifact](${screenshotLink})` : `\`${shot}\``}`, '');
  if (report.result === 'fail') {
    const failed = report.checks.find((c) => c.verdict === 'fail');
    if (failed) {
      lines.push(`### What was tried for "${failed.title}"`, '', ...failed.tried.map((t) => `- ${t}`), '', '```', failed.detail, '```', '');
    }
    if (report.serialTail !== undefined) {
      lines.push('### Last serial lines', '');
      if (report.serialTail.trim()) lines.push('```', report.serialTail, '```', '');
      else
        lines.push(
          `The guest wrote nothing to the serial port (\`${report.artifacts.serialLog}\`): no boot loader or kernel ran, or its console is not on ttyS0.`,
          '',
        );
    }
  }
  return lines.join('\n');
}

function firstLine(text: string): string {
  const [first, ...rest] = text.split('\n');
  return rest.length ? `${first} …` : first;
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}
