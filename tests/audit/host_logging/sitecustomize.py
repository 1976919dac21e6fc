"""Imported at start-up by the provider host the secrets audit starts (its PYTHONPATH points
here): every logger at DEBUG, to stderr, as someone chasing a problem with verbose logging would
run it. The audit then searches that stderr for secrets."""
import logging
import sys

logging.basicConfig(
    level=logging.DEBUG,
    stream=sys.stderr,
    format="%(asctime)s %(threadName)s %(name)s %(levelname)s %(message)s",
)
