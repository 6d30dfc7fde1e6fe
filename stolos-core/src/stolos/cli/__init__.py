"""The ``stolos`` command line (click); one module per command group."""
