/**
 * One fakeroot session across several commands, for building an image without root: tar extracts
 * under fakeroot (owners, device nodes and setuid bits are recorded in a state file instead of
 * on disk) and mke2fs -d later reads the tree under the same state, so the image gets the owners of
 * the snapshot. fakeroot keys its records by inode, so the tree must not be copied in between.
 */
import path from 'node:path';
import { writeFile } from 'node:fs/promises';

export class FakerootSession {
  readonly stateFile: string;

  constructor(workDir: string) {
    this.stateFile = path.join(workDir, 'fakeroot.state');
  }

  async start(): Promise<void> {
    await writeFile(this.stateFile, '');
  }

  /** The command line that runs `cmd args` inside the session and saves what it changed. */
  wrap(cmd: string, args: string[]): [string, string[]] {
    return ['fakeroot', ['-i', this.stateFile, '-s', this.stateFile, '--', cmd, ...args]];
  }
}

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}
