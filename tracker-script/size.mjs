// The size budget: dist/ctrack.min.js gzipped at level 9 must stay within 5 KB (5120 bytes).
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 5120;
const file = process.argv[2] || "dist/ctrack.min.js";
const size = gzipSync(readFileSync(file), { level: 9 }).length;
console.log(`${file}: ${size} bytes gzipped (budget ${BUDGET})`);
if (size > BUDGET) {
  console.error(`over the size budget by ${size - BUDGET} bytes`);
  process.exit(1);
}
