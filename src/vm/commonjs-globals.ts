/**
 * ssh2's poly1305 module (emscripten output) reads the CommonJS variable `__dirname` when it loads.
 * Inside an ESM bundle (ncc, "type": "module") that variable does not exist and loading crashes, so
 * this module — imported before ssh2 — provides it as a global. Harmless when ssh2 runs as CommonJS.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const globals = globalThis as { __dirname?: string };
globals.__dirname ??= path.dirname(fileURLToPath(import.meta.url));
