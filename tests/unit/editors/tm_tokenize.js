// Tokenize a policy document with VS Code's own TextMate engine (vscode-textmate + the
// Oniguruma regex library VS Code uses, compiled to WebAssembly), for test_vscode_extension.py.
// Usage: node tm_tokenize.js EXTENSION_DIR < document  ->  JSON: per line, [text, [scopes...]]
"use strict";

const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

const extension = path.resolve(process.argv[2]);
const load = createRequire(path.join(extension, "package.json"));
const vsctm = load("vscode-textmate");
const oniguruma = load("vscode-oniguruma");

const grammarPath = path.join(extension, "syntaxes", "policy.tmLanguage.json");
const wasm = fs.readFileSync(path.join(path.dirname(load.resolve("vscode-oniguruma")), "onig.wasm")).buffer;
const onigLib = oniguruma.loadWASM(wasm).then(() => ({
  createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
  createOnigString: (s) => new oniguruma.OnigString(s),
}));
const registry = new vsctm.Registry({
  onigLib,
  loadGrammar: async (scopeName) =>
    scopeName === "source.policy" ? vsctm.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath) : null,
});

registry.loadGrammar("source.policy").then((grammar) => {
  const text = fs.readFileSync(0, "utf8");
  let state = vsctm.INITIAL;
  const out = [];
  for (const line of text.split("\n")) {
    const result = grammar.tokenizeLine(line, state);
    out.push(result.tokens.map((t) => [line.substring(t.startIndex, t.endIndex), t.scopes]));
    state = result.ruleStack;
  }
  process.stdout.write(JSON.stringify(out));
});
