// BLAKE3's native binding for x86-64 Linux (see contents-hash.ts), loaded from CommonJS because an addon is a
// CommonJS module: ncc follows this require and bundles the .node file beside the bundle.
/* global module, require */
// eslint-disable-next-line @typescript-eslint/no-require-imports
module.exports = require('@napi-rs/blake-hash-linux-x64-gnu');
