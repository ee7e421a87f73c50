/**
 * Microsoft's Azure Storage emulator (npm `azurite`), blob half only, on a free loopback port.
 * It ignores SIGTERM, so it is stopped with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';

/** The emulator's documented development account (public, not a secret). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const AZURITE_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules/.bin/azurite-blob');

export interface Azurite {
  port: number;
  /** Base URL of the account, path style: http://127.0.0.1:<port>/devstoreaccount1 */
  accountUrl: string;
  credential: StorageSharedKeyCredential;
  service: BlobServiceClient;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startAzurite(location: string): Promise<Azurite> {
  await mkdir(location, { recursive: true });
  const port = await freePort();
  const child = spawn(
    AZURITE_BIN,
    ['--blobHost', '127.0.0.1', '--blobPort', String(port), '--loose', '--skipApiVersionCheck', '--location', location, '--silent'],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: false },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitForPort(port, child, () => stderr);
  const credential = new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY);
  const accountUrl = `http://127.0.0.1:${port}/${DEV_ACCOUNT}`;
  return {
    port,
    accountUrl,
    credential,
    service: new BlobServiceClient(accountUrl, credential),
    stop: async () => {
      await killHard(child);
      await rm(location, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`azurite-blob exited with ${child.exitCode}: ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  await killHard(child);
  throw new Error(`azurite-blob did not listen on port ${port} within 30 s: ${stderr()}`);
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
