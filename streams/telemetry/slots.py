"""What the model says about each attribute a line is made of: the type of a present value,
whether it may be None, and whether its text can hold a character line protocol escapes.

Read once per model class from its pydantic fields; `templates` builds its %-templates on it.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

# What line protocol escapes in tag keys and values (and `"`, `\` in strings), plus the `,`
# that would let a string value mimic the `.0,` / `=True,` patterns `templates` fixes up.
TAG_UNSAFE = re.compile(r"[,= \t\r\n\\]")
TEXT_UNSAFE = re.compile(r'[,"\\]')
# Names go into the templates verbatim: nothing to escape, nothing %-format would read.
NAME_UNSAFE = re.compile(r"[,= \t\r\n\\%()\"]")
_UNSAFE_CHARACTERS = ',= \t\r\n\\"'
_ANY_UNSAFE = re.compile(r'[,= \t\r\n\\"]')
RECEIVED = "received_at"  # among the fields, it stands for the computed `transit_ms`
# A pattern that is one character class, repeated: `^[A-Za-z0-9_.:-]+$` (events.Identifier).
_ONE_CLASS = re.compile(r"\^(\[[^\]]+\])\+\$")
_NONE = type(None)


@dataclass(frozen=True, slots=True)
class Slot:
    name: str
    kind: Any  # the type of a present value; None when the model allows several
    may_be_none: bool
    is_text: bool  # a str or StrEnum: %s gives the text itself
    is_safe: bool  # text the model rules out anything to escape in (identifiers, enum codes)


def slots_of(model: type[BaseModel]) -> dict[str, Slot]:
    slots = {name: _slot(name, info) for name, info in model.model_fields.items()}
    slots[RECEIVED] = Slot(RECEIVED, float, True, False, False)  # as transit_ms
    return slots


def _slot(name: str, info: FieldInfo) -> Slot:
    kind, may_be_none, constraints = _unwrap(info.annotation)
    constraints += list(info.metadata)
    is_text = isinstance(kind, type) and (
        # A (str, Enum) mix-in formats as "Class.MEMBER" with %s; a StrEnum as its value.
        issubclass(kind, StrEnum) or (issubclass(kind, str) and not issubclass(kind, Enum))
    )
    return Slot(name, kind, may_be_none, is_text, is_text and _is_safe(kind, constraints))


def _unwrap(annotation: Any) -> tuple[Any, bool, list[Any]]:
    """(type of a present value, may be None, constraints) of `X`, `X | None`, Annotated."""
    if get_origin(annotation) is Annotated:
        kind, may_be_none, constraints = _unwrap(get_args(annotation)[0])
        for extra in get_args(annotation)[1:]:
            constraints += list(extra.metadata) if isinstance(extra, FieldInfo) else [extra]
        return kind, may_be_none, constraints
    if get_origin(annotation) in (Union, types.UnionType):
        present = [arg for arg in get_args(annotation) if arg is not _NONE]
        may_be_none = len(present) < len(get_args(annotation))
        if len(present) == 1:
            kind, _, constraints = _unwrap(present[0])
            return kind, may_be_none, constraints
        return None, may_be_none, []  # several types: the by-field path
    return annotation, False, []


def _is_safe(kind: type, constraints: list[Any]) -> bool:
    if issubclass(kind, Enum):
        return all(str(m.value) and not _ANY_UNSAFE.search(str(m.value)) for m in kind)
    for constraint in constraints:
        shape = _ONE_CLASS.fullmatch(getattr(constraint, "pattern", None) or "")
        # One class repeated at least once: safe iff the class admits no unsafe character.
        if shape and not any(re.fullmatch(shape[1], c) for c in _UNSAFE_CHARACTERS):
            return True
    return False
