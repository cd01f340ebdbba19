"""pre-commit hooks for onechart: this package only pulls in the `onechart` wheel, whose binary the hooks run."""

__version__ = "0.1.0"
