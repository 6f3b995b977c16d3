"""The policy language's syntax: the only package that imports lark.

Tools use this API and never lark's types:
- `parse_text` (parser.py): one file's text to a syntax tree (for lowering);
- `lex`, `accepts`, `keyword_terminals`, `Tok`, `PolicySyntaxError` (tokens.py): the compiler's
  token stream, for the formatter and completion;
- `lower`, `merge` (lower.py): files to the model, and the models of separate files joined;
- `syntax_diagnostic` (errors.py): a syntax error as a PC0xx diagnostic.
"""
