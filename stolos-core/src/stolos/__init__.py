"""Stolos: a decentralized task-dependency scheduler.

``from stolos import Stolos`` gives the explicit engine object; ``stolos.api`` keeps the
original module-level API.
"""

from stolos.engine import Stolos

__version__ = "0.1.0"
__all__ = ["Stolos", "__version__"]
