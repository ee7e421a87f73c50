/**
 * npm run bench [-- names…]: every benchmark, or those named (keys, snapshots, image, boot, store, compiler-cache, digest).
 * Each prints its figures side by side with the baseline its issue names.
 */
import { log } from '../src/util/log.js';

type Bench = () => Promise<void>;
const benches: Record<string, () => Promise<Bench>> = {
  keys: async () => (await import('./keys.js')).benchKeys,
  snapshots: async () => (await import('./snapshots.js')).benchSnapshots,
  image: async () => (await import('./image.js')).benchImage,
  boot: async () => (await import('./boot.js')).benchBoot,
  store: async () => (await import('./store.js')).benchStore,
  'compiler-cache': async () => (await import('./compiler-cache.js')).benchCompilerCache,
  digest: async () => (await import('./digest.js')).benchDigest,
};

const wanted = process.argv.slice(2).filter((a) => a !== '--');
const names = wanted.length > 0 ? wanted : Object.keys(benches);
for (const name of names) {
  const load = benches[name];
  if (!load) {
    log.error(`unknown benchmark '${name}'; known: ${Object.keys(benches).join(', ')}`);
    process.exitCode = 1;
    continue;
  }
  log.info(`=== ${name}`);
  await (
    await load()
  )();
}
