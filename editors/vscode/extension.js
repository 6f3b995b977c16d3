// The policyc extension: a language client that starts `policyc lsp` over stdio.
// Everything the editor shows (diagnostics, hover, definitions, completion, formatting)
// comes from the server; this file only starts it with the user's settings.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function settings() {
  const config = vscode.workspace.getConfiguration("policyc");
  return {
    command: config.get("path") || "policyc",
    options: {
      kubernetes: config.get("kubernetes") || undefined,
      debounceMs: config.get("debounceMs"),
      programRoots: config.get("programRoots") || [],
    },
  };
}

function activate(context) {
  const { command, options } = settings();
  const serverOptions = { command, args: ["lsp"] };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "policy" }],
    initializationOptions: options,
    synchronize: {
      // Tell the server about .policy files changed outside the editor (git checkout, ...).
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.policy"),
    },
  };
  client = new LanguageClient("policyc", "policyc", serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("policyc") && client) {
        vscode.window.showInformationMessage("policyc: reload the window to apply the new settings.");
      }
    })
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
