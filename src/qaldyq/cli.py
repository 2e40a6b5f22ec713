"""The `qaldyq` command. Each domain adds its sub-commands from `<domain>/commands.py`
(a `register(root)` function)."""

from __future__ import annotations

import typer

from qaldyq.domains import modules

app = typer.Typer(help="Qaldyq: unified information system for accounting and monitoring of waste.", no_args_is_help=True, pretty_exceptions_enable=False)

for _mod in modules("commands"):
    _mod.register(app)

if __name__ == "__main__":
    app()
