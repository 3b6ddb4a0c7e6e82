"""pia-analysis: privacy-impact risk analysis of the systems that handle My Numbers (個人番号).

Load a model, then run the analyses on it::

    >>> from pia_analysis import load_model, bundled_model_path
    >>> model = load_model(bundled_model_path())
    >>> model.summary()["files"]
    3
"""

__all__ = ["Model", "ModelError", "Problem", "bundled_model_path", "explore", "load_model", "save_model", "to_otm",
           "validate"]

from importlib import import_module

from .util.version import __version__  # noqa: F401  (stated once, in util.version)

# The public names are imported on first use (PEP 562), so that ``import pia_analysis`` (and the console
# script, pia_analysis.entry) does not load pandas: a Ctrl-C in the first second is then caught cleanly.
_LAZY = {"to_otm": ".outputs.interchange", "bundled_model_path": ".formats", "load_model": ".formats",
         "save_model": ".formats", "validate": ".formats", "Model": ".model.model", "ModelError": ".model.errors",
         "Problem": ".model.errors"}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def explore(model, **options):
    """The interactive explorer of a model in JupyterLab: :func:`pia_analysis.explorer.explore`.

    Imported on call, so that ``import pia_analysis`` needs neither ipywidgets nor the explorer.
    """
    from .explorer import explore as _explore

    return _explore(model, **options)
