/**
 * Reading screenshots: is a screen blank, how much do two screens differ, and does it look like
 * weston's desktop (a panel band across the top whose colour differs from the background).
 */
import { readFile } from 'node:fs/promises';
import { PNG } from 'pngjs';

export interface Screen {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, row by row. */
  pixels: Buffer;
}

export type Rgb = [number, number, number];

export async function readScreen(file: string): Promise<Screen> {
  const png = PNG.sync.read(await readFile(file));
  return { width: png.width, height: png.height, pixels: png.data };
}

function pixelAt(screen: Screen, x: number, y: number): Rgb {
  const i = (y * screen.width + x) * 4;
  return [screen.pixels[i], screen.pixels[i + 1], screen.pixels[i + 2]];
}

/** Largest per-channel difference between two colours. */
export function colourDistance(a: Rgb, b: Rgb): number {
  return Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]), Math.abs(a[2] - b[2]));
}

/** The most frequent colour in rows [top, bottom), and the share of pixels close to it. */
export function dominantColour(screen: Screen, top: number, bottom: number): { colour: Rgb; share: number } {
  const counts = new Map<number, number>();
  const rows = Math.max(0, Math.min(bottom, screen.height) - Math.max(0, top));
  for (let y = Math.max(0, top); y < Math.min(bottom, screen.height); y++) {
    for (let x = 0; x < screen.width; x++) {
      const [r, g, b] = pixelAt(screen, x, y);
      const key = (r << 16) | (g << 8) | b;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  let best = 0;
  let bestCount = -1;
  for (const [key, count] of counts) if (count > bestCount) [best, bestCount] = [key, count];
  const colour: Rgb = [(best >> 16) & 255, (best >> 8) & 255, best & 255];
  let near = 0;
  for (let y = Math.max(0, top); y < Math.min(bottom, screen.height); y++) {
    for (let x = 0; x < screen.width; x++) if (colourDistance(pixelAt(screen, x, y), colour) <= 8) near++;
  }
  return { colour, share: rows === 0 ? 0 : near / (rows * screen.width) };
}

/** Blank: (nearly) every pixel has one colour — a black console before anything drew, or a cleared screen. */
export function isBlank(screen: Screen): boolean {
  return dominantColour(screen, 0, screen.height).share > 0.995;
}

/** Share of pixels whose colour differs noticeably; 1 when the sizes differ (the mode changed). */
export function differenceRatio(a: Screen, b: Screen): number {
  if (a.width !== b.width || a.height !== b.height) return 1;
  let differing = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) if (colourDistance(pixelAt(a, x, y), pixelAt(b, x, y)) > 16) differing++;
  }
  return differing / (a.width * a.height);
}

export interface DesktopAnalysis {
  panel: { colour: Rgb; share: number };
  background: { colour: Rgb; share: number };
  /** The top band is mostly one colour, and that colour is not the background's. */
  panelDiffersFromBackground: boolean;
}

/**
 * Weston's desktop shell draws a panel (about 32 px high) across the top and a background below.
 * Compares the dominant colour of a band inside the panel with that of the middle of the screen.
 */
export function analyseDesktop(screen: Screen): DesktopAnalysis {
  const panel = dominantColour(screen, 4, 20);
  const middle = Math.floor(screen.height / 2);
  const background = dominantColour(screen, middle - 40, middle + 40);
  return {
    panel,
    background,
    panelDiffersFromBackground: panel.share > 0.5 && colourDistance(panel.colour, background.colour) > 24,
  };
}

export function describeColour(colour: Rgb): string {
  return `#${colour.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}
