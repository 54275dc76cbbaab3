"""The README stays honest: every verb is documented, and its two commands are the ones CI runs."""

from __future__ import annotations

from funnel_audit.cli.main import cli
from tests.conftest import ROOT


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, command in cli.commands.items():
        assert f"funnel-audit {name}" in readme, f"README does not document `{name}`"
        subcommands = getattr(command, "commands", {})
        for sub in subcommands:
            assert f"{name} {sub}" in readme, f"README does not document `{name} {sub}`"


def test_ci_runs_the_readme_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "<!-- test-command -->" in readme and "<!-- sample-command -->" in readme
    assert "readme_command test-command" in ci and "readme_command sample-command" in ci
