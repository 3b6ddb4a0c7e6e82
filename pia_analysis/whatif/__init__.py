"""What if: the changes to a model and their effect.

:mod:`.scenario` reads scenario files, :mod:`.apply` applies them (and the explorer's changes) to a model,
:mod:`.compare` lines up the analyses of two models, and :mod:`.versions` compares the versions of a model.
"""

__all__: list[str] = []
