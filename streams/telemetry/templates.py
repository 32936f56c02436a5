"""The sink's hot path: one reading -> one line-protocol line in a few %-format calls.

A Python step per field cost the sink more than decoding the JSON did. So, per model class and
per set of optional attributes present, the line's shape is worked out once as %-templates with
the getters of their values; a reading is then formatted in C. Types come from the model (`slots`),
which validation guarantees: the input is a validated reading (finite floats, enums as members).
Whatever a template cannot say exactly as influxdb-client would (text to escape, an empty tag, a
type it does not know) goes to `lines.to_line_by_field`, so the text never depends on the path:
tests hold both equal to the library's own encoding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from operator import itemgetter
from typing import Any

from pydantic import BaseModel

from streams.telemetry.lines import TRANSIT_FIELD, layout_of, time_ns, to_line_by_field
from streams.telemetry.slots import NAME_UNSAFE, RECEIVED, TAG_UNSAFE, TEXT_UNSAFE, Slot, slots_of

Getter = Callable[[Mapping[str, Any]], tuple[Any, ...]]

# Shapes per class: one per set of optional attributes present, a few in practice. Past this
# bound (a producer sending every combination) readings take the by-field path.
_MAX_SHAPES_PER_CLASS = 256
_NONE = type(None)
_MILLISECOND = timedelta(milliseconds=1)


@dataclass(slots=True)
class _Budget:
    left: int


# Measurement and tags as text, per shape and set of tag values (a device's placement: they
# rarely change), this many at most over all shapes (about 10 MB); past it the rest are
# formatted every time, as a producer sending every combination of tags would make them.
_HEADS_BUDGET = _Budget(left=40_000)


def _getter(names: Sequence[str]) -> Getter:
    """Always a tuple (itemgetter gives a bare value for one name, and needs one at least)."""
    if len(names) > 1:
        return itemgetter(*names)
    if names:
        name = names[0]
        return lambda values: (values[name],)
    return lambda values: ()


@dataclass(frozen=True, slots=True)
class _Shape:
    """The templates for one set of present attributes (absent optionals left out)."""

    tags: str  # ",building=%s,compound=%s,..." sorted by key
    tag_values: Getter
    fields: str  # " current_a=%r,...," sorted by name, every slot closed by ","
    field_values: tuple[Getter, Getter]  # around transit_ms (the second empty if absent)
    has_transit: bool
    has_bools: bool
    # Text whose model does not rule out characters to escape: checked on every reading.
    tag_texts: Getter
    field_texts: Getter
    needs_check: bool
    # "charging_port,building=b-1,..." per tuple of tag values: a dict lookup instead of a format.
    heads: dict[tuple[Any, ...], str] = field(default_factory=dict)
    keeps_heads: bool = True  # False for a shape built for one reading (past the shapes bound)

    def is_plain(self, values: Mapping[str, Any]) -> bool:
        """True when no value needs escaping (always, for identifiers and enum codes)."""
        if not self.needs_check:
            return True
        tags = self.tag_texts(values)
        if "" in tags or TAG_UNSAFE.search("".join(tags)):
            return False  # the library drops empty tags and escapes the rest: by-field path
        return not TEXT_UNSAFE.search("".join(self.field_texts(values)))

    def format(self, head: str, values: Mapping[str, Any]) -> str:
        args = self.field_values[0](values)
        if self.has_transit:
            # Device -> bridge delay; negative values reveal device clock skew (DOMAIN.md §6).
            transit_ms = (values[RECEIVED] - values["observed_at"]) / _MILLISECOND
            args = (*args, transit_ms, *self.field_values[1](values))
        # Python writes whole floats as "47.0"; the library trims the ".0" (line protocol reads
        # "47" as a float too). Only a float slot can end in ".0," here: names hold no dots, and
        # strings with a comma never reach a template (`is_plain`).
        fields = (self.fields % args).replace(".0,", ",")
        if self.has_bools:
            fields = fields.replace("=True,", "=true,").replace("=False,", "=false,")
        tag_values = self.tag_values(values)
        head_and_tags = self.heads.get(tag_values)
        if head_and_tags is None:
            # Tags are text or ints (`_shape_of`): equal values give the same text as keys.
            head_and_tags = head + self.tags % tag_values
            if self.keeps_heads and _HEADS_BUDGET.left > 0:
                _HEADS_BUDGET.left -= 1
                self.heads[tag_values] = head_and_tags
        return f"{head_and_tags}{fields[:-1]} {time_ns(values['observed_at'])}"


@dataclass(slots=True)
class _ClassTemplates:
    head: str
    tags: tuple[tuple[Slot, str], ...]  # (slot, tag key) sorted by key
    fields: tuple[Slot, ...]  # sorted by field name; `received_at` stands for transit_ms
    optional: Sequence[str]  # attributes that may be None: a shape per set present
    optional_values: Getter
    # Keyed by the types of the optional values (NoneType where absent): `to_line` looks up
    # the known shapes itself, one call less per reading.
    shapes: dict[tuple[type, ...], _Shape | None] = field(default_factory=dict)

    def shape(self, values: Mapping[str, Any]) -> _Shape | None:
        key = tuple(map(type, self.optional_values(values)))
        if key in self.shapes:
            return self.shapes[key]
        absent = {name for name, kind in zip(self.optional, key, strict=True) if kind is _NONE}
        shape = _shape_of(self, absent)
        if len(self.shapes) < _MAX_SHAPES_PER_CLASS:
            self.shapes[key] = shape
        elif shape is not None:
            shape = replace(shape, keeps_heads=False)  # thrown away after this reading
        return shape


_CLASSES: dict[type[BaseModel], _ClassTemplates] = {}


def _templates_of(model: type[BaseModel]) -> _ClassTemplates:
    templates = _CLASSES.get(model)
    if templates is None:
        layout = layout_of(model)
        slots = slots_of(model)
        optional = [slot.name for slot in slots.values() if slot.may_be_none]
        templates = _CLASSES[model] = _ClassTemplates(
            head=layout.head,
            tags=tuple((slots[attr], key) for attr, key in layout.tags),
            fields=tuple(slots[RECEIVED if n == TRANSIT_FIELD else n] for n in layout.fields),
            optional=optional,
            optional_values=_getter(optional),
        )
    return templates


def _field_slot(slot: Slot) -> str | None:
    if slot.kind is float:
        return f"{slot.name}=%r,"
    if slot.kind is bool:
        return f"{slot.name}=%s,"
    if slot.kind is int:
        return f"{slot.name}=%di,"
    if slot.is_text:
        return f'{slot.name}="%s",'
    return None


def _shape_of(templates: _ClassTemplates, absent: set[str]) -> _Shape | None:
    """The templates when the attributes in `absent` are None; None: by-field path."""
    present_tags = [(slot, key) for slot, key in templates.tags if slot.name not in absent]
    if any(not (s.is_text or s.kind is int) or NAME_UNSAFE.search(k) for s, k in present_tags):
        return None
    present_fields = [slot for slot in templates.fields if slot.name not in absent]
    texts: list[str] = [slot.name for slot, _ in present_tags if slot.is_text and not slot.is_safe]
    slots: tuple[list[str], list[str]] = ([], [])
    names: tuple[list[str], list[str]] = ([], [])
    side = 0
    for slot in present_fields:
        if slot.name == RECEIVED:
            slots[0].append(f"{TRANSIT_FIELD}=%r,")
            side = 1
            continue
        template = _field_slot(slot)
        if template is None or NAME_UNSAFE.search(slot.name):
            return None
        slots[side].append(template)
        names[side].append(slot.name)
    field_texts = [s.name for s in present_fields if s.is_text and not s.is_safe]
    return _Shape(
        tags="".join(f",{key}=%s" for _, key in present_tags),
        tag_values=_getter([slot.name for slot, _ in present_tags]),
        fields=" " + "".join(slots[0] + slots[1]),
        field_values=(_getter(names[0]), _getter(names[1])),
        has_transit=RECEIVED not in absent,
        has_bools=any(slot.kind is bool for slot in present_fields),
        tag_texts=_getter(texts),
        field_texts=_getter(field_texts),
        needs_check=bool(texts or field_texts),
    )


def to_line(reading: BaseModel) -> str:
    """The line of one validated reading (any model of `events.readings`): the text that
    influxdb-client's `Point.to_line_protocol()` gives for `lines.to_point(reading)`."""
    templates = _CLASSES.get(type(reading)) or _templates_of(type(reading))
    values = reading.__dict__
    try:
        shape = templates.shapes[tuple(map(type, templates.optional_values(values)))]
    except KeyError:  # a new set of optional attributes present: once per class and set
        shape = templates.shape(values)
    if shape is None or (shape.needs_check and not shape.is_plain(values)):
        return to_line_by_field(reading)
    return shape.format(templates.head, values)
