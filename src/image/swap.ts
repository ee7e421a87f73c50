/**
 * A Linux swap signature at an offset inside an image file. util-linux 2.38's mkswap cannot write at
 * an offset, and Pizlix's fstab swaps on /dev/sda3, which `swapon` refuses without this header.
 * Format (include/linux/swap.h, union swap_header): in the first page, after 1024 boot bytes,
 * u32 version (1), u32 last_page, u32 nr_badpages, 16-byte UUID, 16-byte label; the page's last
 * ten bytes hold "SWAPSPACE2".
 */
import { randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';

const PAGE_BYTES = 4096;
const MAGIC = 'SWAPSPACE2';
const VERSION_OFFSET = 1024;
const LABEL_MAX = 16;

export interface SwapArea {
  image: string;
  offsetBytes: number;
  sizeBytes: number;
  label: string;
}

export function swapHeader(sizeBytes: number, label: string, uuid = randomUUID()): Buffer {
  const pages = Math.floor(sizeBytes / PAGE_BYTES);
  if (pages < 10) throw new Error(`a swap area needs at least 10 pages, got ${pages}`);
  const page = Buffer.alloc(PAGE_BYTES);
  page.writeUInt32LE(1, VERSION_OFFSET);
  page.writeUInt32LE(pages - 1, VERSION_OFFSET + 4);
  page.writeUInt32LE(0, VERSION_OFFSET + 8);
  Buffer.from(uuid.replace(/-/g, ''), 'hex').copy(page, VERSION_OFFSET + 12);
  page.write(label.slice(0, LABEL_MAX), VERSION_OFFSET + 28, 'utf8');
  page.write(MAGIC, PAGE_BYTES - MAGIC.length, 'ascii');
  return page;
}

export async function writeSwapSignature(area: SwapArea): Promise<void> {
  const header = swapHeader(area.sizeBytes, area.label);
  const handle = await open(area.image, 'r+');
  try {
    await handle.write(header, 0, header.length, area.offsetBytes);
  } finally {
    await handle.close();
  }
}
