"""`policyc lsp`: a Language Server Protocol server for `.policy` files, on pygls.

It reuses the compiler's stages and adds nothing to the language: the whole program (a folder
of `.policy` files, with the editor's unsaved text in place of the files on disk) is compiled
by `policyc.pipeline` after every pause in typing, and the answers to the editor come from the
lowered model, the checked Program and the release tables.

- workspace.py: programs, the per-file lowering cache, analysis, and the names of each file's
  last good parse (for completion, hover and definition while a file does not parse);
- index.py: where every declared and referenced name occurs, and what it resolves to (by the
  compiler's resolution over the compiler's symbol table);
- hover.py, complete.py, outline.py, builtin.py, rename.py: the editor features (role rules
  after aggregation come from the access engine, `policyc.access.policy.roles_of`);
- positions.py: spans to LSP positions (UTF-16);
- server.py: the pygls server (tests/lsp_client.py is the blocking client of the tests and benchmark).
"""
