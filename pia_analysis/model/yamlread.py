"""The one YAML reader of a model: model.yaml, scenarios and the YAML flow-style cells of a workbook.

PyYAML's safe loader, stricter (:class:`ModelYamlLoader`): YAML is plain data. Dates stay text (parsed,
and located, by :mod:`pia_analysis.model.japanese`: an impossible date is a located problem, never a
crash), tags other than plain values are refused, YAML 1.1's surprising numbers are refused, and aliases
(``*name``) may not repeat more than :data:`MAX_ALIAS_NODES` values in all, so that nested aliases (a
"billion laughs") cannot make a small file take minutes and gigabytes to check or print.
"""

from __future__ import annotations

__all__ = ["MAX_ALIAS_NODES", "MAX_YAML_DIGITS", "MERGE_REFUSED", "ModelYamlLoader", "read_cell_yaml"]

import re
from typing import Any

import yaml

MAX_YAML_DIGITS = 100  # a number in model.yaml or a scenario: counts have 11 digits at most
#: The values that aliases (``*name``) of one YAML text may repeat, in all: a model.yaml has about a
#: hundred values, a scenario a few thousand; nested aliases ("billion laughs") multiply past any bound.
MAX_ALIAS_NODES = 10_000
#: The message for the merge key ``<<`` (readers name the key ``<<`` when they see it).
MERGE_REFUSED = "the merge key << is not allowed"

# YAML 1.1 reads some plain values as numbers nobody meant: 12:30 is 750 (base 60), 0x10 is 16, 017 and
# 0o17 are 15 (octal), 1_000 is 1000. They are refused with what to write instead.
_SURPRISING_NUMBER = re.compile(r"[-+]?(?:0[xXoObB].*|0[0-9_]+(?:\.[0-9_]*)?|.*[_:].*)")
# The tags a model or scenario file may carry: plain values, lists and mappings.
_PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map",
                                                           "merge"))


MERGE_REFUSED = "the merge key << is not allowed"


class ModelYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, stricter: YAML is plain data.

    Implicit timestamps are not resolved (dates are parsed, and located, by us). Tags other than plain
    values, lists and mappings (``!!binary``, ``!!set``, ``!!omap``, ``!!timestamp`` …) and the YAML 1.1
    numbers above are not constructed: each is recorded in :attr:`refused` as ``(line, column, message,
    hint)`` and kept as its text, so that every such value of a file is reported at once. Tags without a
    constructor (``!!python/…``, ``!custom``) still fail the load, located by PyYAML.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.refused: list[tuple[int, int, str, str]] = []
        self._alias_nodes = 0  # the values the aliases read so far repeat
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        """A node of the text; an alias past :data:`MAX_ALIAS_NODES` is refused and read as empty."""
        # An alias is the node of its anchor again: sharing keeps memory small, but every reader that
        # walks or prints the value sees it expanded. Aliases are read until they repeat MAX_ALIAS_NODES
        # values in all; a further one is refused, located at the *name, and read as an empty value.
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None:
                size = self._expanded_size(target)
                if self._alias_nodes + size > MAX_ALIAS_NODES:
                    self.get_event()
                    line = event.start_mark.line + 1
                    if not any(seen == line and m.startswith("the alias") for seen, _c, m, _h in self.refused):
                        self.refused.append((line, event.start_mark.column + 1,
                                             f"the alias *{event.anchor} is not read: the aliases would repeat "
                                             f"more than {MAX_ALIAS_NODES:,} values (nested aliases)",
                                             "write the values out instead of repeating an anchor (&name) "
                                             "with aliases (*name)"))
                    return yaml.ScalarNode("tag:yaml.org,2002:null", "", event.start_mark, event.end_mark)
                self._alias_nodes += size
        return super().compose_node(parent, index)

    def _expanded_size(self, node: yaml.Node) -> int:
        """The values ``node`` holds with every alias in it expanded (memoised; a node inside itself counts once)."""
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        self._sizes[id(node)] = 1  # an anchor holding itself (&a [*a]): counted once, refused by its readers
        if isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self._expanded_size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            size = 1 + sum(self._expanded_size(k) + self._expanded_size(v) for k, v in node.value)
        else:
            size = 1
        size = min(size, 10 * MAX_ALIAS_NODES)  # past the bound the exact count does not matter
        self._sizes[id(node)] = size
        return size

    def _refuse(self, node: yaml.Node, message: str, hint: str) -> None:
        self.refused.append((node.start_mark.line + 1, node.start_mark.column + 1, message, hint))

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        """An integer; the YAML 1.1 forms (0x10, 017, 1_000, 12:30) refused."""
        return self._number(node, super().construct_yaml_int)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> Any:
        """A number with a fraction; the YAML 1.1 forms (1_000.5) refused."""
        return self._number(node, super().construct_yaml_float)

    def _number(self, node: yaml.ScalarNode, construct: Any) -> Any:
        text = str(node.value)
        digits = sum(ch.isdigit() for ch in text)
        if digits > MAX_YAML_DIGITS:  # Python refuses to read past 4,300 digits; nothing in a model needs 20
            self._refuse(node, f"has more than {MAX_YAML_DIGITS} digits ({digits:,})",
                         "check for pasted digits: counts of people have at most 11 digits")
            return text[:MAX_YAML_DIGITS]
        if _SURPRISING_NUMBER.fullmatch(text) and text not in ("0", "-0", "+0"):
            try:
                value = construct(node)
            except (ValueError, yaml.YAMLError):
                value = None
            read = f" (YAML 1.1 reads it as {value!r})" if value is not None and len(str(value)) < 40 else ""
            bare = text.lstrip("+-")
            if ":" in text:
                hint = f"write it in quotes, \"{text}\", if it is a time or a code (YAML reads a:b as base 60)"
            elif bare[:2].lower() in ("0x", "0o", "0b"):
                decimal = f"{value}" if isinstance(value, int) else "the number in decimal"
                hint = f"write {decimal}, or \"{text}\" in quotes if it is a code"
            elif bare.startswith("0"):
                hint = (f"write {text.replace('_', '').lstrip('+0') or '0'} without the leading zero, "
                        f"or \"{text}\" in quotes if it is a code")
            else:
                hint = f"write {text.replace('_', '')} (no '_' between digits), or \"{text}\" in quotes if it is a code"
            self._refuse(node, f"{text} is not read as written{read}", hint)
            return text
        return construct(node)

    def construct_yaml_bool(self, node: yaml.ScalarNode) -> Any:
        """A yes/no value: only true and false, yes/no/on/off refused."""
        # YAML 1.1 reads yes/no/on/off/y/n (any case) as booleans: `id: no` would be the id False.
        text = str(node.value)
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        self._refuse(node,
                     f"{text} is not read as written (YAML 1.1 reads it as {super().construct_yaml_bool(node)!r})",
                     f"write true/false, or the text in quotes (\"{text}\")")
        return text

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """The mapping's keys, the merge key << refused and dropped."""
        # The merge key << copies another mapping's keys in unseen: refused, and dropped so that no
        # reader (model.yaml, scenarios walking the node tree) takes its keys.
        kept = []
        for key, value in node.value:
            if key.tag == "tag:yaml.org,2002:merge":
                self._refuse(key, MERGE_REFUSED,
                             "write each key out in this mapping instead of merging another one in")
            else:
                kept.append((key, value))
        node.value = kept
        super().flatten_mapping(node)

    def construct_refused(self, node: yaml.Node) -> Any:
        """A value under a tag that is not plain data: refused, kept as its text."""
        tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
        self._refuse(node, f"the tag {tag} is not allowed: only plain values, lists and mappings",
                     "remove the tag and write the value as plain text, a list or a mapping")
        return str(node.value) if isinstance(node, yaml.ScalarNode) else None


# Implicit timestamps are not resolved (a date stays text until we parse it, located).
ModelYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ModelYamlLoader.yaml_constructors = dict(yaml.SafeLoader.yaml_constructors)
for _tag in list(ModelYamlLoader.yaml_constructors):
    if _tag is not None and _tag not in _PLAIN_TAGS:
        ModelYamlLoader.add_constructor(_tag, ModelYamlLoader.construct_refused)
ModelYamlLoader.add_constructor("tag:yaml.org,2002:int", ModelYamlLoader.construct_yaml_int)
ModelYamlLoader.add_constructor("tag:yaml.org,2002:float", ModelYamlLoader.construct_yaml_float)
ModelYamlLoader.add_constructor("tag:yaml.org,2002:bool", ModelYamlLoader.construct_yaml_bool)


def read_cell_yaml(text: str) -> tuple[Any, list[tuple[int, int, str, str]], str | None]:
    r"""A workbook cell's text read as YAML (flow style) by :class:`ModelYamlLoader`.

    Parameters
    ----------
    text : str
        The cell's text, e.g. ``{published_on: 2021-12-20}`` or ``[outsource, provide]``.

    Returns
    -------
    tuple
        ``(value, refused, error)``: the value (dates as text), the refused values as ``(line, column,
        message, hint)`` (tags, numbers, aliases past the bound), and the reason the text could not be read
        at all (``value`` is then None), or None.

    Raises
    ------
    Nothing : every failure is returned as ``error``.

    Examples
    --------
    >>> from pia_analysis.model.yamlread import read_cell_yaml
    >>> read_cell_yaml("{start: 2025-02-30}")
    ({'start': '2025-02-30'}, [], None)
    >>> read_cell_yaml("[a, b")[2].startswith("while parsing a flow sequence")
    True
    """
    loader = ModelYamlLoader(text)
    try:
        return loader.get_single_data(), loader.refused, None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        return None, loader.refused, " ".join(str(p) for p in (context, problem) if p)
    except RecursionError:
        return None, loader.refused, "it is nested too deeply"
    except ValueError as exc:  # a constructor's, e.g. an integer of thousands of digits
        return None, loader.refused, str(exc)[:120]
    finally:
        loader.dispose()
