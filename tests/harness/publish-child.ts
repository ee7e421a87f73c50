/** Publishes one file to a local store from its own process, so tests can race or kill publishes. */
import { LocalStore } from '../../src/store/local.js';

const [storeRoot, file, key] = process.argv.slice(2);
const store = new LocalStore(storeRoot, { trust: 'trusted', ref: 'refs/heads/main' });
const entry = await store.publish(file, { key, stage: 'race', parentKey: null, compression: 'zstd', buildSeconds: 1, inputs: {} });
process.stdout.write(`${JSON.stringify(entry.meta)}\n`);
