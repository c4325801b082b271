"""Errors of the policy engine: a faulty pack, or a case the pack cannot decide."""

from __future__ import annotations


class PackError(ValueError):
    """A policy pack is malformed; the message names the file, the rule and the key at fault."""


class CaseError(ValueError):
    """A case lacks a value the decision depends on, or holds one too vague to decide on.

    `field` is the dotted path of the input at fault (e.g. ``training.catalogue_subsidy``).
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}：{message}")
        self.field = field
        self.detail = message
