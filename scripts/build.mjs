#!/usr/bin/env node
// Bundles every action entry point (src/actions/<name>/main.ts → dist/<name>/index.js, post.ts →
// dist/<name>-post/index.js) and the command line (src/cli/main.ts → dist/cli/index.js) with ncc.
// ncc type-checks what tsconfig.json includes (src/ only); tests and benchmarks are checked by `npm run typecheck`.
// `node scripts/build.mjs --out DIR` writes elsewhere (the freshness test compares with dist/).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync, chmodSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? path.resolve(process.argv[outIndex + 1]) : path.join(root, 'dist');
const ncc = path.join(root, 'node_modules', '.bin', 'ncc');

const entries = [['cli', 'src/cli/main.ts']];
for (const name of readdirSync(path.join(root, 'src/actions')).sort()) {
  const dir = path.join(root, 'src/actions', name);
  if (existsSync(path.join(dir, 'main.ts'))) entries.push([name, `src/actions/${name}/main.ts`]);
  if (existsSync(path.join(dir, 'post.ts'))) entries.push([`${name}-post`, `src/actions/${name}/post.ts`]);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const [name, entry] of entries) {
  const target = path.join(out, name);
  execFileSync(ncc, ['build', entry, '-o', target, '--quiet', '--target', 'es2022'], { cwd: root, stdio: 'inherit' });
  // ssh2's optional native addons (sshcrypto.node, cpu-features) and its Windows-only pagent.exe are
  // copied in as assets. They are built for the Node.js that ran npm ci, not the runner's node24, and
  // their bytes depend on the machine that built them; ssh2 loads them inside try/catch and uses its
  // JavaScript crypto without them. Leaving them out keeps dist/ portable and reproducible.
  for (const asset of ['build', 'lib', 'pagent.exe']) rmSync(path.join(target, asset), { recursive: true, force: true });
  // ncc writes a package.json only for some bundles; ESM needs one beside every bundle.
  writeFileSync(path.join(target, 'package.json'), '{ "type": "module" }\n');
  process.stdout.write(`bundled ${entry} → ${path.relative(root, target)}/index.js\n`);
}
const cli = path.join(out, 'cli', 'index.js');
const text = readFileSync(cli, 'utf8');
if (!text.startsWith('#!')) writeFileSync(cli, `#!/usr/bin/env node\n${text}`);
chmodSync(cli, 0o755);
