"""The command line explains itself: `initgen --help` lists every command with a line, grouped by family, and every
command's parser has a description and a help string for every argument."""

from __future__ import annotations

import argparse
import importlib

import pytest

from initgen import cli


def test_top_level_help_lists_every_command_with_a_line_grouped_by_family(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for family in ("data", "1-D", "deep", "curvature", "related", "report"):
        assert any(family in line and line.endswith(":") for line in out.splitlines()), family
    for name in cli.COMMANDS:
        line = next(line for line in out.splitlines() if line.startswith("  ") and line.split()[:1] == [name])
        assert len(line.split()) >= 4, line  # a name and a sentence
    assert cli.main([]) == 2


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_every_command_describes_itself_and_every_argument(name, monkeypatch, capsys):
    parsers = []
    original = argparse.ArgumentParser.parse_args

    def recording(self, *args, **kwargs):  # the real parser runs; we only keep a handle on it
        parsers.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", recording)
    module, function = cli.COMMANDS[name].split(":")
    with pytest.raises(SystemExit) as exit_:
        getattr(importlib.import_module(module), function)(["--help"])
    assert exit_.value.code == 0
    (parser,) = parsers
    assert parser.prog == f"initgen {name}"
    assert parser.description and len(parser.description.split()) >= 3, f"{name}: no description"
    undocumented = [a.option_strings[0] if a.option_strings else a.dest for a in parser._actions
                    if not a.help or a.help == argparse.SUPPRESS]
    assert not undocumented, f"initgen {name}: arguments without help: {undocumented}"
    assert parser.description.split()[0] in capsys.readouterr().out
