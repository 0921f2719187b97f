"""The webhook receiver's default port, everywhere: ``treasurer-relay``, ``treasurer relay run``, the window's
Settings and the README.  Nothing else is here, so the command line can read it without starting the relay."""

DEFAULT_PORT = 8787
