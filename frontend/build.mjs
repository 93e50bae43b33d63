// Bundles the dashboard's front end into src/segmentr/web/static/dist/ (ignored by git; served by
// `segmentr serve` under /static/). File names carry a content hash; manifest.json maps each entry's
// logical name ("editor.js") to its file, for the templates' asset_url().
import { build } from "esbuild";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "..", "src", "segmentr", "web", "static", "dist");

const common = {
  bundle: true,
  minify: true,
  target: ["es2020", "chrome123", "firefox120", "safari17.5"],
  outdir,
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  assetNames: "asset-[hash]",
  metafile: true,
  logLevel: "warning",
  legalComments: "eof",
};

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

const results = await Promise.all([
  // module scripts, loaded with <script type="module">; shared code goes into chunks
  build({
    ...common,
    entryPoints: { app: "src/app.js", editor: "src/editor.js", charts: "src/charts.js", style: "src/css/app.css" },
    format: "esm",
    splitting: true,
  }),
  // a classic script for <head>: applies the stored theme before the first paint
  build({ ...common, entryPoints: { theme: "src/theme.js" }, format: "iife" }),
]);

const manifest = {};
for (const result of results) {
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (!output.entryPoint) continue;
    const name = basename(file);
    const logical = name.replace(/-[A-Z0-9]+(\.\w+)$/, "$1");
    manifest[logical] = relative(outdir, join(here, file)).split("\\").join("/");
  }
}
await writeFile(join(outdir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`front end bundled into ${relative(join(here, ".."), outdir)}: ${Object.keys(manifest).sort().join(", ")}`);
