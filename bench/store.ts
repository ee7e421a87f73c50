/**
 * Store benchmark: save (publish) and restore (fetch) throughput of one snapshot through each
 * backend — local directory, Actions cache, artifacts (the real packages against the loopback
 * results service and azurite), an S3 bucket (the AWS SDK against s3rver, in its own process) — as a
 * ratio against streaming the same bytes over loopback HTTP into a file and back, plus the peak
 * memory of the process doing the transfer. Each save includes measuring the sha256, each restore
 * verifying it.
 *
 *   npm run bench -- store                          # 2 GiB
 *   PIZLIX_BENCH_STORE_SIZE=512M npm run bench -- store
 *   PIZLIX_BENCH_STORE_BACKENDS=local,s3 npm run bench -- store
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { formatBytes, parseSize } from '../src/util/format.js';
import { writeIncompressibleFile } from '../tests/results-service/big-file.js';
import { startS3Server } from '../tests/harness/s3-server.js';
import { startResultsService } from '../tests/results-service/index.js';
import { startStoreChild } from '../tests/results-service/run-store-child.js';
import { benchDir } from './util.js';

/** Seconds to PUT the file to a loopback HTTP server that writes it to disk, and to GET it back. */
async function loopbackCopy(file: string, dir: string): Promise<{ up: number; down: number }> {
  const stored = path.join(dir, 'loopback-copy');
  const server = http.createServer((req, res) => {
    if (req.method === 'PUT') {
      pipeline(req, createWriteStream(stored)).then(
        () => res.end('ok'),
        () => res.destroy(),
      );
    } else {
      res.writeHead(200);
      pipeline(createReadStream(stored), res).catch(() => res.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const t0 = Date.now();
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: '/' }, (res) => res.resume().on('end', resolve));
      req.on('error', reject);
      pipeline(createReadStream(file), req).catch(reject);
    });
    const up = (Date.now() - t0) / 1000;
    const t1 = Date.now();
    await new Promise<void>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/' }, (res) => pipeline(res, createWriteStream(path.join(dir, 'loopback-back'))).then(resolve, reject))
        .on('error', reject);
    });
    return { up, down: (Date.now() - t1) / 1000 };
  } finally {
    server.close();
    await rm(stored, { force: true });
    await rm(path.join(dir, 'loopback-back'), { force: true });
  }
}

export async function benchStore(): Promise<void> {
  const size = parseSize(process.env.PIZLIX_BENCH_STORE_SIZE ?? '2G');
  if (!size) throw new Error(`PIZLIX_BENCH_STORE_SIZE: '${process.env.PIZLIX_BENCH_STORE_SIZE}' is not a size such as 2G or 512M`);
  const root = await benchDir('store');
  await mkdir(path.join(root, 'workspace'), { recursive: true });
  const service = await startResultsService({ dataDir: path.join(root, 'service') });
  const s3 = await startS3Server(path.join(root, 's3rver'));
  try {
    const file = path.join(root, 'snapshot.tar.zst');
    await writeIncompressibleFile(file, size);
    const baseline = await loopbackCopy(file, root);
    const mibps = (seconds: number) => size / 1024 ** 2 / seconds;
    console.log(
      `snapshot ${formatBytes(size)}; loopback HTTP copy: save ${mibps(baseline.up).toFixed(0)} MiB/s, restore ${mibps(baseline.down).toFixed(0)} MiB/s`,
    );
    console.log('backend         save MiB/s  ×loopback  restore MiB/s  ×loopback  peak RSS');
    const env = { ...process.env, ...service.env, ...s3.env, GITHUB_WORKSPACE: path.join(root, 'workspace'), RUNNER_TEMP: path.join(root, 'runner-temp') };
    const results: Record<string, object> = {};
    const all = ['local', 'actions-cache', 'artifact', 's3'] as const;
    const chosen = (process.env.PIZLIX_BENCH_STORE_BACKENDS ?? all.join(',')).split(',');
    for (const backend of all.filter((b) => chosen.includes(b))) {
      const workDir = path.join(root, `fetched-${backend}`);
      await mkdir(workDir, { recursive: true });
      const stagingDir = path.join(root, `store-${backend}`);
      // s3 straight to the server, not through the tests' fault proxy (a hop the baseline does not have).
      const location = { ...s3.location, endpoint: s3.directEndpoint };
      const r = await startStoreChild({ backend, stagingDir, file, key: `bench-${backend}`, workDir, s3: location }, env).result;
      const save = mibps(r.publishSeconds!);
      const restore = mibps(r.fetchSeconds!);
      results[backend] = {
        saveMiBps: save,
        restoreMiBps: restore,
        saveRatio: save / mibps(baseline.up),
        restoreRatio: restore / mibps(baseline.down),
        peakRssBytes: r.maxRssBytes,
      };
      console.log(
        `${backend.padEnd(16)}${save.toFixed(0).padStart(10)}${(save / mibps(baseline.up)).toFixed(2).padStart(11)}` +
          `${restore.toFixed(0).padStart(15)}${(restore / mibps(baseline.down)).toFixed(2).padStart(11)}  ${formatBytes(r.maxRssBytes)}`,
      );
      await rm(workDir, { recursive: true, force: true });
      await rm(stagingDir, { recursive: true, force: true });
    }
    console.log(JSON.stringify({ snapshotBytes: size, loopbackSeconds: baseline, results }));
  } finally {
    await s3.stop();
    await service.stop();
    await rm(root, { recursive: true, force: true });
  }
}
