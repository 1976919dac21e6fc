"""Imported at start-up by the provider host the secrets audit starts (its PYTHONPATH points
here): every logger at DEBUG, as someone chasing a problem with verbose logging would run it.

The lines go to the file named by STAGEFLEET_AUDIT_LOG rather than to stderr: the test harness
reads the host's stderr pipe only when the host stops, and a full pipe would block the host. The
audit searches both that file and the host's stderr for secrets."""

import logging
import os

_path = os.environ.get("STAGEFLEET_AUDIT_LOG")
if _path:
    logging.basicConfig(
        level=logging.DEBUG,
        filename=_path,
        format="%(asctime)s %(threadName)s %(name)s %(levelname)s %(message)s",
    )
