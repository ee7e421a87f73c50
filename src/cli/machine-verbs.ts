/** The command line's image, boot-test and fetch verbs; image and boot-test are shared with `pipeline`. */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../util/errors.js';
import { formatBytes, formatDuration, parseSize } from '../util/format.js';
import { log } from '../util/log.js';
import { buildDiskImage, type DiskImageResult } from '../image/build.js';
import type { AcceleratorChoice } from '../vm/accel.js';
import { runBootTest } from '../vm/boot-test.js';
import { splitArguments } from '../vm/qemu.js';
import type { BootTestReport } from '../vm/report.js';
import { parseUserChecks } from '../vm/user-checks.js';
import { fetchRelease } from '../release/fetch-release.js';
import { fetchStoreEntry } from '../release/fetch-store.js';
import { openStore } from '../store/index.js';
import { scopeFromEnvironment } from '../store/trust.js';
import { connectToGitHub, parseRepository } from '../release/github.js';
import { textTable } from './table.js';

export interface ImageOptions {
  outputDir: string;
  size?: string;
  vmdk?: string;
  compress?: boolean;
  grubCfg?: string;
  pizlixDir?: string;
}

export async function makeImage(snapshot: string, options: ImageOptions): Promise<DiskImageResult> {
  const result = await buildDiskImage({
    snapshot: path.resolve(snapshot),
    outputDir: path.resolve(options.outputDir),
    size: options.size,
    vmdk: options.vmdk,
    compress: options.compress,
    grubCfg: options.grubCfg ? path.resolve(options.grubCfg) : undefined,
    pizlixDir: options.pizlixDir ? path.resolve(options.pizlixDir) : undefined,
  });
  log.info(
    textTable([
      ['file', 'size', 'on disk'],
      [result.image, formatBytes(result.imageBytes), formatBytes(result.allocatedBytes)],
      ...(result.vmdk ? [[result.vmdk, formatBytes(result.vmdkBytes ?? 0), '']] : []),
      ...(result.compressed ? [[result.compressed, formatBytes(result.compressedBytes ?? 0), '']] : []),
      [result.sha256sums, '', ''],
    ]),
  );
  log.info(`image made in ${formatDuration(result.seconds.total)}`);
  return result;
}

export interface BootOptions {
  outputDir: string;
  user: string;
  password: string;
  accel: string;
  cpus?: string;
  memory: string;
  timeoutMultiplier: string;
  qemuArgs?: string;
  checks?: string;
}

export async function bootTest(image: string, options: BootOptions): Promise<BootTestReport> {
  if (!['auto', 'kvm', 'tcg'].includes(options.accel)) throw new InputError('accel', `is '${options.accel}'`, "'auto', 'kvm' or 'tcg'");
  const memory = parseSize(options.memory);
  if (memory === undefined) throw new InputError('memory', `is '${options.memory}'`, 'a size such as 2G or 3072M');
  const report = await runBootTest({
    image: path.resolve(image),
    username: options.user,
    password: options.password,
    accel: options.accel as AcceleratorChoice,
    cpus: options.cpus ? Number(options.cpus) : os.availableParallelism(),
    memoryMiB: Math.floor(memory / (1024 * 1024)),
    qemuArgs: splitArguments(options.qemuArgs ?? ''),
    timeoutMultiplier: Number(options.timeoutMultiplier),
    userChecks: options.checks ? parseUserChecks(await readFile(path.resolve(options.checks), 'utf8')) : [],
    outputDir: path.resolve(options.outputDir),
  });
  printVerdicts(report);
  return report;
}

export function printVerdicts(report: BootTestReport): void {
  const rows = report.checks.map((c) => [c.title, c.verdict, c.finishedAt !== undefined ? `${c.finishedAt.toFixed(1)} s` : '', c.verdict === 'fail' ? c.detail.split('\n')[0] : '']);
  log.info(`\n${textTable([['check', 'verdict', 'at (from power-on)', 'detail'], ...rows])}`);
  log.info(`boot test ${report.result === 'pass' ? 'PASSED' : 'FAILED'} with ${report.accelerator.used} (${report.accelerator.reason}) in ${formatDuration(report.totalSeconds)}`);
  if (report.error) log.error(report.error);
  if (report.result === 'fail' && report.serialTail) log.info(`last serial lines:\n${report.serialTail}`);
  const shot = report.artifacts.westonScreenshot ?? report.artifacts.failureScreenshot;
  if (shot) log.info(`screenshot: ${shot}`);
  log.info(`report: ${report.artifacts.report}`);
}

export interface FetchOptions {
  repository?: string;
  tag: string;
  files?: string;
  directory: string;
  unpack: boolean;
  key?: string;
  storePath: string;
}

/** `fetch`: a release from GitHub Releases (GITHUB_TOKEN for private repositories), or a store entry by key. */
export async function fetchVerb(options: FetchOptions): Promise<void> {
  if (options.key) {
    if (options.repository) throw new InputError('repository', 'given together with --key', 'either --repository (a release) or --key (a store entry)');
    const storePath = path.resolve(options.storePath);
    const store = await openStore({ kind: 'local', path: storePath, scope: scopeFromEnvironment({}) });
    const fetched = await fetchStoreEntry({ store, where: `at ${storePath}`, stage: '', key: options.key, workDir: path.resolve(options.directory) });
    log.info(`${fetched.meta.stage} snapshot ${options.key}, sha256 ${fetched.meta.sha256} verified: ${fetched.file}`);
    return;
  }
  if (!options.repository) throw new InputError('repository', 'is required', 'owner/name of the repository whose releases hold Pizlix (or --key for a store entry)');
  const fetched = await fetchRelease(connectToGitHub(process.env.GITHUB_TOKEN), {
    repository: parseRepository(options.repository),
    tag: options.tag,
    patterns: (options.files ?? '').split(',').map((p) => p.trim()).filter(Boolean),
    directory: path.resolve(options.directory),
    unpack: options.unpack,
  });
  log.info(
    textTable([
      ['what', 'path'],
      ['release', `${fetched.tag} (${fetched.url})`],
      ...fetched.files.map((f) => ['verified', f]),
      ...(fetched.image ? [['disk image', fetched.image]] : []),
    ]),
  );
}
