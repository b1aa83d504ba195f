"""Code inputs are the import closure of each step's command: for every `initgen` command the workflow runs,
editing a module of its closure plans that rule's jobs (and what reads their outputs), and editing a module outside
it plans none of them. One `snakemake --touch` makes every output up to date, then one dry run per edited module."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO, copy_workflow, load_test_config, planned_after_edit, planned_jobs, run_snakemake

from initgen.cli import COMMANDS
from initgen.pipeline.code_inputs import import_closure

LIBRARY = REPO / "src" / "initgen"
OVERRIDES = load_test_config("code_inputs")


def module_path(dotted: str) -> str:
    """initgen.a.b -> a/b.py (relative to src/initgen)."""
    return str(Path(*dotted.split(".")[1:]).with_suffix(".py"))


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    """A workflow copy whose outputs are all up to date, with each rule's command and the rules downstream of it."""
    workdir = copy_workflow(tmp_path_factory.mktemp("code_inputs") / "wf")
    # rule -> the initgen command its shell runs, from the dry run's printed jobs; every output, as an empty file
    result = run_snakemake(workdir, "-n", "-p", "--forceall", overrides=OVERRIDES)
    commands, rule = {}, None
    for line in (result.stdout + result.stderr).splitlines():
        match = re.match(r"(?:local)?rule (\w+):$", line.strip())
        if match:
            rule = match.group(1)
        match = re.match(r"(?:Shell command: )?initgen ([a-z0-9-]+)", line.strip())
        if match and rule:
            commands[rule] = match.group(1)
        match = re.match(r"output: (.+)$", line.strip())
        if match:
            for name in match.group(1).split(", "):
                (workdir / name).parent.mkdir(parents=True, exist_ok=True)
                (workdir / name).touch()
    run_snakemake(workdir, "--touch", overrides=OVERRIDES)  # outputs newer than their inputs, in DAG order
    assert planned_jobs(workdir, overrides=OVERRIDES) == {}
    # rule -> rules that read its outputs, transitively (the rule graph)
    dot = run_snakemake(workdir, "--rulegraph", "--quiet", "all", overrides=OVERRIDES).stdout
    names = dict(re.findall(r'^\s*(\d+)\[label = "(\w+)"', dot, flags=re.M))
    readers: dict[str, set[str]] = {name: set() for name in names.values()}
    for source, target in re.findall(r"^\s*(\d+) -> (\d+)", dot, flags=re.M):
        readers[names[source]].add(names[target])

    def downstream(rules: set[str]) -> set[str]:
        todo, seen = list(rules), set(rules)
        while todo:
            for reader in readers[todo.pop()] - seen:
                seen.add(reader)
                todo.append(reader)
        return seen

    return workdir, commands, downstream


def closure(command: str) -> set[str]:
    module = COMMANDS[command].split(":")[0]
    return {str(p.relative_to(LIBRARY)) for p in import_closure(LIBRARY, module)}


def test_the_tiny_config_runs_every_workflow_command(workflow):
    _, commands, _ = workflow
    # every command a rules file names is run by some rule of the tiny config, but data-download: its rules fetch
    # archives (digits has none), and a library edit must not download a dataset again (no code inputs); and
    # rehearsal-data: its rule exists only under config/rehearsal.yaml (tests/test_rehearsal.py plans it)
    named = set()
    for path in (REPO / "workflow").rglob("*.smk"):
        named |= set(re.findall(r'"initgen ([a-z0-9-]+)', path.read_text()))
    named -= {"data-download", "rehearsal-data"}
    assert named <= set(commands.values()), named - set(commands.values())


@pytest.mark.slow  # one dry run per module: minutes on a busy machine
def test_editing_a_module_plans_exactly_the_steps_that_can_run_it(workflow):
    workdir, commands, downstream = workflow
    entry = {module_path(COMMANDS[c].split(":")[0]) for c in set(commands.values())}
    outside = "experiments/asi_budget.py"  # asi-budget: a command no rule runs
    assert all(outside not in closure(c) for c in set(commands.values()))
    for module in sorted(entry) + [outside]:
        steps = {rule for rule, command in commands.items() if module in closure(command)}
        expected = downstream(steps)
        planned = set(planned_after_edit(workdir, module, overrides=OVERRIDES))
        assert planned == expected, (module, sorted(planned ^ expected))
    # each command's rules were planned by an edit of its closure, and left alone by an edit outside it
    for command in set(commands.values()):
        assert module_path(COMMANDS[command].split(":")[0]) in closure(command)
