// `npm run bench -- NAME`: runs bench/NAME/index.ts, whose last stdout line is one JSON object of figures.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const name = process.argv[2];
const available = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'index.ts')))
  .map((d) => d.name);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME   (NAME: ${available.join(', ')})`);
  process.exit(2);
}
// Each benchmark runs in its own process with the flags it needs (--expose-gc for heap figures).
const result = spawnSync(
  process.execPath,
  ['--expose-gc', '--import', 'tsx', join(here, name, 'index.ts'), ...process.argv.slice(3)],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
