"""The models bundled with pia-analysis, shipped as the package ``pia_analysis.data``.

``pyproject.toml`` maps this folder into the package (``package-dir``), so a wheel carries it as
``pia_analysis/data/`` while the checkout keeps it at the top level, where the README and ``make report``
point. This file makes it a regular package: setuptools' editable install finds a mapped package only by its
``__init__.py``. Read it through :func:`pia_analysis.bundled_model_path`, never by a path of your own.
"""
