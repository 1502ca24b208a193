"""Man pages and shell completions are generated from the command tables at build time
(src/cli/docs.c, doc/meson.build): every command `husk --help` lists has a page, and every flag
its `--help` shows is in that page and in the bash, zsh and fish completions."""
import os
import re
import shutil
import subprocess

import pytest

from cli_support import HUSK

BUILD = os.path.dirname(os.path.dirname(os.path.dirname(HUSK)))
DOC = os.path.join(BUILD, "doc")
FLAG = re.compile(r"^  (?:-(\w), )?--([\w-]+)", re.M)


def read(*parts):
    with open(os.path.join(DOC, *parts)) as f:
        return f.read()


def commands():
    out = subprocess.run([HUSK, "--help"], capture_output=True, text=True).stdout
    return re.findall(r"^  ([a-z]+) {2,}", out.split("Commands:")[1], re.M)


def flags(*args):
    out = subprocess.run([HUSK, *args, "--help"], capture_output=True, text=True).stdout
    return FLAG.findall(out.split("Options:")[1]) if "Options:" in out else []


def test_help_has_one_usage_line():
    out = subprocess.run([HUSK, "--help"], capture_output=True, text=True).stdout
    assert out.splitlines()[0] == "Usage: husk [global options] COMMAND [ARGS...]"
    assert out.count("Usage:") == 1


def test_husk_8_names_every_global_flag_and_command():
    page = read("husk.8")
    for alias, name in flags():
        assert "\\-\\-" + name.replace("-", "\\-") in page, name
    for c in commands():
        assert f"husk\\-{c}" in page, c


@pytest.mark.parametrize("cmd", commands())
def test_every_flag_is_in_the_man_page_and_the_completions(cmd):
    page = read(f"husk-{cmd}.8")
    bash = read("bash-completion", "husk")
    bash_case = bash.split(f"\n\t{cmd})\n")[1].split("\n\t\t;;\n")[0]
    zsh = read("_husk")
    zsh_case = zsh.split(f"\n\t\t{cmd}) _arguments")[1].split(" ;;\n")[0]
    fish = [line for line in read("husk.fish").splitlines()
            if f"__fish_seen_subcommand_from {cmd}'" in line]
    assert page.startswith(f".TH HUSK-{cmd.upper()} 8 ")
    for alias, name in flags(cmd):
        assert "\\fB\\-\\-" + name.replace("-", "\\-") + "\\fR" in page, name
        assert f" --{name}" in bash_case, name
        assert f"'--{name}[" in zsh_case, name
        assert any(f" -l {name}" in line for line in fish), name
        if alias:
            assert f" -{alias}" in bash_case and f"'-{alias}[" in zsh_case, alias


def bash_complete(*words, root=None):
    line = " ".join(words)
    script = (f"source {DOC}/bash-completion/husk; husk() {{ {HUSK} \"$@\"; }}; "
              f"COMP_WORDS=({line} ''); COMP_CWORD={len(words)}; _husk; "
              "printf '%s\\n' \"${COMPREPLY[@]}\"")
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True).stdout.split()


def test_bash_completes_commands_values_signals_and_ids(tmp_path):
    assert "checkpoint" in bash_complete("husk") and "create" in bash_complete("husk")
    assert bash_complete("husk", "--log-format") == ["text", "json"]
    assert bash_complete("husk", "--rootless") == ["true", "false", "auto"]
    assert bash_complete("husk", "list", "--format") == ["table", "json"]
    assert bash_complete("husk", "restore", "--manage-cgroups-mode") == \
        ["soft", "full", "strict", "ignore"]
    assert {"KILL", "TERM", "HUP"} <= set(bash_complete("husk", "kill", "c"))
    os.makedirs(tmp_path / "root" / "alpha")
    os.makedirs(tmp_path / "root" / "beta")
    ids = bash_complete("husk", "--root", str(tmp_path / "root"), "delete")
    assert sorted(ids) == ["alpha", "beta"]


def test_completions_are_valid_scripts():
    assert subprocess.run(["bash", "-n", os.path.join(DOC, "bash-completion", "husk")]).returncode == 0
    for shell, name in (("zsh", "_husk"), ("fish", "husk.fish")):
        if shutil.which(shell) is None:
            continue  # not installed here: bash is the one every Debian has
        assert subprocess.run([shell, "-n", os.path.join(DOC, name)]).returncode == 0
