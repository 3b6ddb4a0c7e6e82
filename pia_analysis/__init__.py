"""pia-analysis: privacy-impact risk analysis of the systems that handle My Numbers (個人番号).

Load a model, then run the analyses on it::

    >>> from pia_analysis import load_model, bundled_model_path
    >>> model = load_model(bundled_model_path())
    >>> model.summary()["files"]
    3
"""

__all__ = ["Model", "ModelError", "Problem", "bundled_model_path", "explore", "load_model", "save_model", "to_otm",
           "validate"]

from .formats import bundled_model_path, load_model, save_model, validate
from .model.errors import ModelError, Problem
from .model.model import Model
from .outputs.interchange import to_otm
from .util.version import __version__  # noqa: F401  (stated once, in util.version)


def explore(model, **options):
    """The interactive explorer of a model in JupyterLab: :func:`pia_analysis.explorer.explore`.

    Imported on call, so that ``import pia_analysis`` needs neither ipywidgets nor the explorer.
    """
    from .explorer import explore as _explore

    return _explore(model, **options)
