"""The Telegram Bot API specification, loaded from the JSON shipped in ``emulator/spec``.

The JSON is a machine-readable copy of the official Bot API manual (see
``spec/README.md``). This module turns it into small typed records and
derives, from the prose descriptions, the rules the manual states only in
words: discriminators of abstract types ("must be chat", "always \\"emoji\\""),
"exactly one of the fields ..." constraints, and length limits such as
"1-4096 characters after entities parsing".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Final

__all__ = [
    "ApiSpec",
    "FieldSpec",
    "LengthLimit",
    "MethodSpec",
    "OneOfRule",
    "TypeSpec",
    "load_spec",
]

PRIMITIVES: Final[frozenset[str]] = frozenset(
    {"Integer", "Float", "Boolean", "String", "InputFile"}
)

_LENGTH_RE: Final = re.compile(r"(\d+)\s*-\s*(\d+)\s+(characters|bytes)( after entities parsing)?")
_VALUES_BETWEEN_RE: Final = re.compile(r"Values between (\d+)\s*-\s*(\d+) are accepted")
_AT_MOST_ITEMS_RE: Final = re.compile(r"At most (\d+) \w+ can be specified")
_DISCRIMINATOR_RE: Final = re.compile(r'(?:must be ([a-z_]+)|always "([a-z_]+)")')
_ONE_OF_OTHER_RE: Final = re.compile(
    r"(Exactly|At most) one of the fields other than ([\w ,]+?) must be used"
)
_ONE_OF_LISTED_RE: Final = re.compile(r"Exactly one of the fields ([\w ,]+?) must be used")


@dataclass(frozen=True)
class LengthLimit:
    """A documented length range for a String value."""

    low: int
    high: int
    unit: str  # "characters" (counted in UTF-16 code units) or "bytes" (UTF-8)
    after_parsing: bool


@dataclass(frozen=True)
class FieldSpec:
    """One parameter of a method or one field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool
    description: str

    @cached_property
    def length(self) -> LengthLimit | None:
        """The "N-M characters/bytes" limit stated in the description, if any."""
        if "String" not in self.types:
            return None
        match = _LENGTH_RE.search(self.description)
        if match is None:
            return None
        return LengthLimit(
            int(match.group(1)), int(match.group(2)), match.group(3), bool(match.group(4))
        )

    @cached_property
    def integer_range(self) -> tuple[int, int] | None:
        """The "Values between N-M are accepted" range of an Integer, if stated."""
        if self.types != ("Integer",):
            return None
        match = _VALUES_BETWEEN_RE.search(self.description)
        return (int(match.group(1)), int(match.group(2))) if match else None

    @cached_property
    def max_items(self) -> int | None:
        """The "At most N ... can be specified" bound of an array, if stated."""
        if not any(t.startswith("Array of ") for t in self.types):
            return None
        match = _AT_MOST_ITEMS_RE.search(self.description)
        return int(match.group(1)) if match else None


@dataclass(frozen=True)
class OneOfRule:
    """A "one of these optional fields" rule from a type's description."""

    fields: frozenset[str]
    exactly: bool  # False means "at most one"


@dataclass(frozen=True)
class TypeSpec:
    """An object type of the Bot API (or an abstract type with subtypes)."""

    name: str
    fields: dict[str, FieldSpec]
    subtypes: tuple[str, ...]
    description: str

    @property
    def accepts_plain_string(self) -> bool:
        """KeyboardButton may be sent as its bare text, as the manual allows."""
        return "String can be used instead of this object" in self.description


@dataclass(frozen=True)
class MethodSpec:
    """A Bot API method with its parameters and return types."""

    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]
    description: str

    @property
    def returns_true_only(self) -> bool:
        """True when the manual says the method returns only True on success."""
        return self.returns == ("Boolean",)


class ApiSpec:
    """The whole specification with case-insensitive method lookup."""

    def __init__(self, raw: dict[str, object]) -> None:
        self.version = str(raw.get("version", ""))
        methods = raw.get("methods")
        types = raw.get("types")
        if not isinstance(methods, dict) or not isinstance(types, dict):
            raise ValueError("Bot API spec must have 'methods' and 'types' objects")
        self.methods: dict[str, MethodSpec] = {
            name: MethodSpec(
                name=name,
                fields=_fields(item),
                returns=tuple(item.get("returns", ())),
                description=" ".join(item.get("description", ())),
            )
            for name, item in methods.items()
        }
        self.types: dict[str, TypeSpec] = {
            name: TypeSpec(
                name=name,
                fields=_fields(item),
                subtypes=tuple(item.get("subtypes", ())),
                description=" ".join(item.get("description", ())),
            )
            for name, item in types.items()
        }
        # Telegram matches method names case-insensitively.
        self._by_lower = {name.lower(): name for name in self.methods}
        self._discriminators = {
            name: self._discriminator(spec) for name, spec in self.types.items() if spec.subtypes
        }
        self._one_of = {name: self._one_of_rule(spec) for name, spec in self.types.items()}

    def method(self, name: str) -> MethodSpec | None:
        """The method called ``name`` (any letter case), or None."""
        canonical = self._by_lower.get(name.lower())
        return self.methods[canonical] if canonical else None

    def discriminator(self, abstract: str) -> tuple[str, dict[str, str]] | None:
        """For an abstract type: the tag field and a map from tag value to subtype."""
        return self._discriminators.get(abstract)

    def one_of(self, type_name: str) -> OneOfRule | None:
        """The "exactly/at most one of the fields" rule of a type, if it has one."""
        return self._one_of.get(type_name)

    def _discriminator(self, spec: TypeSpec) -> tuple[str, dict[str, str]] | None:
        field_name: str | None = None
        mapping: dict[str, str] = {}
        for sub in spec.subtypes:
            sub_spec = self.types.get(sub)
            if sub_spec is None or not sub_spec.fields:
                continue
            first = next(iter(sub_spec.fields.values()))
            match = _DISCRIMINATOR_RE.search(first.description)
            if match is None or first.types != ("String",):
                return None
            if field_name not in (None, first.name):
                return None
            field_name = first.name
            mapping[match.group(1) or match.group(2)] = sub
        return (field_name, mapping) if field_name else None

    @staticmethod
    def _one_of_rule(spec: TypeSpec) -> OneOfRule | None:
        other = _ONE_OF_OTHER_RE.search(spec.description)
        if other:
            excluded = set(_split_names(other.group(2)))
            names = frozenset(n for n in spec.fields if n not in excluded)
            return OneOfRule(names, exactly=other.group(1) == "Exactly")
        listed = _ONE_OF_LISTED_RE.search(spec.description)
        if listed:
            return OneOfRule(frozenset(_split_names(listed.group(1))), exactly=True)
        if "You must use exactly one of the optional fields" in spec.description:
            optional = frozenset(n for n, f in spec.fields.items() if not f.required)
            return OneOfRule(optional, exactly=True)
        return None


def _split_names(text: str) -> list[str]:
    parts = re.split(r",\s*|\s+and\s+|\s+or\s+", text)
    return [p.strip() for p in parts if p.strip() and p.strip() not in ("and", "or")]


def _fields(item: dict[str, object]) -> dict[str, FieldSpec]:
    raw_fields = item.get("fields") or []
    assert isinstance(raw_fields, list)
    result: dict[str, FieldSpec] = {}
    for raw in raw_fields:
        result[raw["name"]] = FieldSpec(
            name=raw["name"],
            types=tuple(raw["types"]),
            required=bool(raw["required"]),
            description=str(raw.get("description", "")),
        )
    return result


@cache
def load_spec() -> ApiSpec:
    """Load (once per process) the specification shipped inside this package."""
    text = resources.files("emulator.spec").joinpath("botapi-spec.json").read_text("utf-8")
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError("Bot API spec must be a JSON object")
    return ApiSpec(raw)
