"""Hall Treasurer: the domain core (no GUI, no servers)."""

import logging

__version__ = "0.1.0"

# A library's warnings reach a log only where the program set one up (the relay, the window); a command
# says what happened in its own sentences, so Python's last-resort stderr printer must not repeat them.
logging.getLogger(__name__).addHandler(logging.NullHandler())
