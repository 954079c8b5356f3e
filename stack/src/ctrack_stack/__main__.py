"""`python -m ctrack_stack` is the `ctrack` CLI, for environments without the console script."""

from ctrack_stack.cli import app

app(prog_name="ctrack")
