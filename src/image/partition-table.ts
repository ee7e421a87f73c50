/** Writing a planned GPT into an image file with sfdisk, and reading one back (`sfdisk --json`). */
import { run } from '../util/exec.js';
import { sfdiskScript, type DiskPlan } from './layout.js';

export interface SfdiskPartition {
  node: string;
  start: number;
  size: number;
  type: string;
  name?: string;
}

export interface SfdiskTable {
  label: string;
  firstlba?: number;
  lastlba?: number;
  sectorsize?: number;
  partitions: SfdiskPartition[];
}

export async function writePartitionTable(image: string, plan: DiskPlan): Promise<void> {
  await run('sfdisk', ['--quiet', '--no-reread', '--no-tell-kernel', image], { input: sfdiskScript(plan) });
}

export async function readPartitionTable(image: string): Promise<SfdiskTable> {
  const json = JSON.parse(await run('sfdisk', ['--json', image])) as { partitiontable: SfdiskTable };
  return json.partitiontable;
}
