// Unit tests of the pure formatting core (src/format.ts), bundled in memory by esbuild.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { buildSync } from "esbuild";

const bundle = buildSync({
  entryPoints: [new URL("../src/format.ts", import.meta.url).pathname],
  bundle: true,
  format: "esm",
  write: false,
});
const { rewrite, forms, mask, apply } = await import(
  "data:text/javascript;base64," + Buffer.from(bundle.outputFiles[0].text).toString("base64")
);
const vectors = JSON.parse(readFileSync(new URL("./vectors.json", import.meta.url), "utf8"));

for (const v of vectors) {
  test(`${v.market}: "${v.text}" keeps its format with ${v.to}`, () => {
    assert.equal(rewrite(v.text, [v.from], v.to), v.expected);
  });
}

test("a number is written with country code, trunk prefix, or bare national number", () => {
  assert.deepEqual(forms("+77271234567"), ["77271234567", "87271234567", "7271234567"]);
  assert.deepEqual(forms("+12025550123"), ["12025550123", "12025550123", "2025550123"]);
  assert.deepEqual(forms("+35921234567"), ["35921234567", "021234567", "21234567"]);
});

test("a number of an unknown calling code is matched only in full", () => {
  assert.deepEqual(forms("+9991234567"), ["9991234567"]);
});

test("the tracking number already shown is left alone", () => {
  assert.equal(rewrite("(202) 555-0199", ["+12025550123"], "+12025550199"), "(202) 555-0199");
});

test("rewriting is idempotent when the new number extends the old one", () => {
  const once = rewrite("030 1234 567", ["+49301234567"], "+493012345678");
  assert.equal(rewrite(once, ["+49301234567"], "+493012345678"), once);
});

test("click-to-reveal masks the last three digits and the punctuation between them", () => {
  const masked = (text, from) => apply(text, mask(text, [from]));
  assert.equal(masked("+7 727 123-45-67", "+77271234567"), "+7 727 123-4…");
  assert.equal(masked("Call (202) 555-0123 now", "+12025550123"), "Call (202) 555-0… now");
  assert.equal(masked("020 7946 0123", "+442079460123"), "020 7946 0…");
});

test("a masked number is not found again", () => {
  const text = apply("8 (727) 123-45-67", mask("8 (727) 123-45-67", ["+77271234567"]));
  assert.deepEqual(mask(text, ["+77271234567"]), []);
});
