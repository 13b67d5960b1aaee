"""gil-harness: measure how Python interpreters handle threads, collected by pyperf."""

__version__ = "0.1.0"
