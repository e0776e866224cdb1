#!/usr/bin/env node
// Validates an AsyncAPI document (YAML or JSON) with the AsyncAPI Initiative's parser:
// the specification's JSON Schema, its semantic rules and the messages' payload schemas.
//
//   node tools/asyncapi-validate/validate.mjs asyncapi.yaml
//
// Prints every diagnostic; exits 1 when any is an error (warnings and hints do not fail), 2 on bad usage.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

import { DiagnosticSeverity, Parser } from "@asyncapi/parser";

const SEVERITY = {
  [DiagnosticSeverity.Error]: "error",
  [DiagnosticSeverity.Warning]: "warning",
  [DiagnosticSeverity.Information]: "info",
  [DiagnosticSeverity.Hint]: "hint",
};

const [file, ...extra] = process.argv.slice(2);
if (!file || extra.length > 0) {
  console.error("usage: validate.mjs <asyncapi-document.yaml|json>");
  process.exit(2);
}

const path = resolve(file);
let text;
try {
  text = await readFile(path, "utf8");
} catch (error) {
  console.error(`${file}: cannot read: ${error.message}`);
  process.exit(2);
}

// The source lets relative $refs resolve against the document's own location.
const { document, diagnostics } = await new Parser().parse(text, { source: pathToFileURL(path).href });

const where = (d) => `/${(d.path ?? []).join("/")}` + (d.range ? ` (line ${d.range.start.line + 1})` : "");
for (const d of diagnostics) {
  const print = d.severity === DiagnosticSeverity.Error ? console.error : console.warn;
  print(`${file}: ${SEVERITY[d.severity] ?? d.severity} ${d.code}: ${d.message} at ${where(d)}`);
}

const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).length;
if (errors > 0 || document === undefined) {
  console.error(`${file}: invalid AsyncAPI document (${errors} error(s))`);
  process.exit(1);
}
console.log(`${file}: valid AsyncAPI ${document.version()} document, ${diagnostics.length} warning(s) or note(s)`);
