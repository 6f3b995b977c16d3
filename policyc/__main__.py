"""`python -m policyc`."""

from policyc.cli.main import run

run()
