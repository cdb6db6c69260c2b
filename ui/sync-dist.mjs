// Copies a fresh build (argv[2]) into ui/dist (argv[3]) rewriting only the files whose bytes
// changed, and removes files the build no longer makes. The app embeds ui/dist and cargo
// rebuilds it when an embedded file's modification time changes, so a build that rewrote every
// file would relink the app after each `make test` or `make run` although nothing changed.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";

function files(root) {
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(root, path));
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

const [fresh, dist] = process.argv.slice(2);
if (!fresh || !dist) {
  console.error("usage: node sync-dist.mjs FRESH_BUILD_DIR DIST_DIR");
  process.exit(2);
}
// Every changed file is written under a temporary name and renamed into place, so none is ever
// half-written; the pages (`.html`) go last, after the assets they name; files the build no
// longer makes are removed only then. A build stopped part-way leaves the old pages over assets
// that are all still there.
const built = files(fresh).sort((a, b) => Number(a.endsWith(".html")) - Number(b.endsWith(".html")));
for (const name of built) {
  const from = join(fresh, name);
  const to = join(dist, name);
  if (existsSync(to) && readFileSync(from).equals(readFileSync(to))) continue;
  mkdirSync(dirname(to), { recursive: true });
  const partial = `${to}.partial`;
  copyFileSync(from, partial);
  renameSync(partial, to);
}
const kept = new Set(built);
for (const name of files(dist)) {
  if (!kept.has(name)) rmSync(join(dist, name));
}
rmSync(fresh, { recursive: true, force: true });
