"""Every command and option of `lcedu` explains itself in Chinese, with English beside it."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

from lcedu.arguments import parser

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")


def _parsers(p: argparse.ArgumentParser, name: str = "lcedu"):
    yield name, p
    for action in p._actions:  # argparse keeps subcommands only here
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for sub, child in action.choices.items():
                assert helps.get(sub) and CJK.search(helps[sub]) and LATIN.search(helps[sub]), f"{name} {sub}"
                yield from _parsers(child, f"{name} {sub}")


def test_every_command_and_option_has_chinese_and_english_help() -> None:
    missing = []
    for name, p in _parsers(parser()):
        for action in p._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            if action.help == argparse.SUPPRESS:
                continue
            text = action.help or ""
            if not (CJK.search(text) and LATIN.search(text)):
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}: {text!r}")
    assert not missing, "\n".join(missing)
    assert CJK.search(parser().description)


def test_help_answers_without_importing_the_commands_modules() -> None:
    """`lcedu --help` parses in the light lcedu.arguments: no pandas, no lcedu.cli (seconds of imports)."""
    code = (
        "import sys\n"
        "from lcedu.__main__ import main\n"
        "try:\n    main(['render', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted({'pandas', 'matplotlib', 'lcedu.cli'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_every_command_of_the_parser_has_its_handler() -> None:
    from lcedu.cli import COMMANDS

    handlers = {p.get_default("func") for _, p in _parsers(parser())} - {None}
    assert handlers and handlers <= set(COMMANDS)
    assert {"cmd_report", "cmd_plan_draft", "cmd_sample"} <= handlers
