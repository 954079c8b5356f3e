// Builds dist/ctrack.min.js (or the file given as the first argument): one minified IIFE, no runtime deps.
import { build } from "esbuild";

await build({
  entryPoints: ["src/index.ts"],
  outfile: process.argv[2] || "dist/ctrack.min.js",
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2019"],
  legalComments: "none",
  charset: "utf8",
  logLevel: "warning",
});
