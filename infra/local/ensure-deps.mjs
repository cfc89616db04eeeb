// Installs what `npm start`, `npm test` and `npm run bench` need on a fresh machine, and nothing when it is already there:
// the npm dependencies (npm ci when node_modules is missing or older than the lock file), a Java
// runtime for DynamoDB Local (Debian's openjdk-17-jre-headless when `java` is missing and we are root) and
// the PostgreSQL server binaries (>= 15) for the local clusters (Debian's postgresql, likewise).
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');

const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  console.log('Installing npm dependencies (npm ci) ...');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}

const java = spawnSync('java', ['-version'], { stdio: 'ignore' });
if (java.error || java.status !== 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error('DynamoDB Local needs Java 17+: install a JRE (e.g. apt-get install openjdk-17-jre-headless).');
    process.exit(1);
  }
  console.log('Installing a Java runtime for DynamoDB Local (openjdk-17-jre-headless) ...');
  execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless', { stdio: 'inherit' });
}

/** PostgreSQL >= 15 server binaries: PG_BIN, or Debian's /usr/lib/postgresql/<major>/bin. */
function hasPostgres() {
  if (process.env.PG_BIN) return existsSync(join(process.env.PG_BIN, 'pg_ctl'));
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return false;
  return readdirSync(root).some((v) => Number(v) >= 15 && existsSync(join(root, v, 'bin', 'pg_ctl')));
}
if (!hasPostgres()) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error('The local PostgreSQL clusters need PostgreSQL 15+ server binaries: install them (e.g. apt-get install postgresql) or set PG_BIN.');
    process.exit(1);
  }
  console.log('Installing PostgreSQL server binaries for the local clusters (postgresql) ...');
  execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql', { stdio: 'inherit' });
}
