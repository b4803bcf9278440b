"""Check one Bot API request against the specification.

Requests arrive the way HTTP clients send them: form or query values are
strings (objects JSON-encoded, booleans ``true``/``false``), JSON bodies
carry typed values, and multipart bodies carry uploaded files. The
:class:`Validator` decodes every parameter according to its declared types,
checks objects recursively against the type definitions, and applies the
limits the manual states in prose. Every broken rule becomes one problem
sentence that starts with the method name.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Final

from .apispec import ApiSpec, FieldSpec, MethodSpec
from .formatting import PARSE_MODES, EntityParseError, parse_text, utf16_len

__all__ = ["Upload", "ValidationResult", "Validator", "describe_value"]

_INTEGER_RE: Final = re.compile(r"[+-]?\d+")
_ATTACH_RE: Final = re.compile(r"attach://([A-Za-z0-9_.\-]+)")
_COMMAND_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_CHAT_ACTIONS: Final[frozenset[str]] = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Fields whose formatting is controlled by the method's plain "parse_mode".
_PARSE_MODE_FIELDS: Final[frozenset[str]] = frozenset({"text", "caption", "message_text"})


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart/form-data request."""

    filename: str
    content: bytes
    mime: str

    def describe(self) -> dict[str, Any]:
        """How the upload appears in recorded request parameters."""
        return {"filename": self.filename, "size": len(self.content), "mime": self.mime}


@dataclass
class ValidationResult:
    """Decoded parameters (uploads kept as :class:`Upload`) and the problems found."""

    params: dict[str, Any]
    problems: list[str] = field(default_factory=list)


def describe_value(value: Any) -> str:
    """A short name of a JSON value's kind, for problem sentences."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, Upload):
        return "an uploaded file"
    return type(value).__name__


class _Context:
    """Per-request state shared by the recursive checks."""

    def __init__(self, method: str, uploads: dict[str, Upload], problems: list[str]) -> None:
        self.method = method
        self.uploads = uploads
        self.problems = problems

    def fork(self, problems: list[str]) -> _Context:
        return _Context(self.method, self.uploads, problems)

    def problem(self, text: str) -> None:
        self.problems.append(f"{self.method}: {text}")


class Validator:
    """Validates requests against one :class:`ApiSpec`."""

    def __init__(self, spec: ApiSpec) -> None:
        self.spec = spec

    def validate(
        self, method: MethodSpec, raw: dict[str, Any], uploads: dict[str, Upload]
    ) -> ValidationResult:
        """Decode and check the parameters of one call of ``method``.

        ``raw`` maps names to form strings or JSON values; ``uploads`` maps
        multipart part names to files. File parts referenced from a value as
        ``attach://<name>`` are attachments, not parameters.
        """
        result = ValidationResult(params={})
        ctx = _Context(method.name, uploads, result.problems)
        attached = _attach_names(raw)
        for name in list(raw) + [n for n in uploads if n not in raw]:
            value: Any = uploads[name] if name in uploads else raw[name]
            spec_field = method.fields.get(name)
            if spec_field is None:
                if not (name in uploads and name in attached):
                    ctx.problem(f"unknown parameter '{name}'")
                result.params[name] = value
                continue
            if value is None:
                # JSON null means "not given", as in Telegram.
                continue
            result.params[name] = self._decode_top(spec_field, value, ctx)
        for spec_field in method.fields.values():
            if spec_field.name not in result.params:
                if spec_field.required:
                    ctx.problem(f"missing required parameter '{spec_field.name}'")
                continue
            self._limits(
                spec_field,
                result.params[spec_field.name],
                result.params,
                method.fields,
                spec_field.name,
                ctx,
            )
        for name in sorted(attached):
            if name not in uploads:
                ctx.problem(f"'attach://{name}' refers to no uploaded file part")
        self._method_rules(method, result.params, ctx)
        return result

    # ------------------------------------------------------------------ decoding

    def _decode_top(self, spec_field: FieldSpec, value: Any, ctx: _Context) -> Any:
        types = spec_field.types
        name = spec_field.name
        if isinstance(value, Upload):
            if "InputFile" not in types:
                ctx.problem(f"{name} must be {_expected(types)}, got an uploaded file")
            return value
        if not isinstance(value, str):
            # A JSON body: values are typed already; Telegram still accepts a
            # number where a String is declared at the top level.
            if (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and "String" in types
                and not any(t in ("Integer", "Float") for t in types)
            ):
                return str(value)
            self._check(types, value, name, ctx)
            return value
        if "Integer" in types and _INTEGER_RE.fullmatch(value):
            return int(value)
        if "Float" in types:
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if math.isfinite(number):
                return number
        if "Boolean" in types and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        if "String" in types:
            match = _ATTACH_RE.fullmatch(value)
            if "InputFile" in types and match and match.group(1) in ctx.uploads:
                return ctx.uploads[match.group(1)]
            return value
        structured = tuple(t for t in types if t not in ("Integer", "Float", "Boolean"))
        if structured and structured != ("InputFile",):
            try:
                decoded = json.loads(value)
            except ValueError:
                ctx.problem(
                    f"{name} must be JSON-serialized {_expected(types)}, got {value[:60]!r}"
                )
                return value
            self._check(structured, decoded, name, ctx)
            return decoded
        ctx.problem(f"{name} must be {_expected(types)}, got {value[:60]!r}")
        return value

    # ------------------------------------------------------------------ checking

    def _check(self, types: tuple[str, ...], value: Any, path: str, ctx: _Context) -> None:
        if len(types) == 1:
            self._check_one(types[0], value, path, ctx)
            return
        best: list[str] | None = None
        best_score = (2, 0)
        for type_name in types:
            trial: list[str] = []
            self._check_one(type_name, value, path, ctx.fork(trial))
            if not trial:
                return
            score = (0 if _shape_matches(type_name, value, self.spec) else 1, len(trial))
            if best is None or score < best_score:
                best, best_score = trial, score
        assert best is not None
        if best_score[0] == 1:
            ctx.problem(f"{path} must be {_expected(types)}, got {describe_value(value)}")
        else:
            ctx.problems.extend(best)

    def _check_one(self, type_name: str, value: Any, path: str, ctx: _Context) -> None:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                ctx.problem(f"{path} must be an array ({type_name}), got {describe_value(value)}")
                return
            inner = type_name.removeprefix("Array of ")
            for index, item in enumerate(value):
                self._check((inner,), item, f"{path}[{index}]", ctx)
            return
        if type_name == "Integer":
            if not isinstance(value, int) or isinstance(value, bool):
                ctx.problem(f"{path} must be an Integer, got {describe_value(value)}")
            return
        if type_name == "Float":
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                ctx.problem(f"{path} must be a Float, got {describe_value(value)}")
            return
        if type_name == "Boolean":
            if not isinstance(value, bool):
                ctx.problem(f"{path} must be a Boolean, got {describe_value(value)}")
            return
        if type_name == "String":
            if not isinstance(value, str):
                ctx.problem(f"{path} must be a String, got {describe_value(value)}")
            return
        if type_name == "InputFile":
            match = _ATTACH_RE.fullmatch(value) if isinstance(value, str) else None
            if not isinstance(value, Upload) and (
                match is None or match.group(1) not in ctx.uploads
            ):
                ctx.problem(f"{path} must be an uploaded file (attach://<part>)")
            return
        self._check_object(type_name, value, path, ctx)

    def _check_object(self, type_name: str, value: Any, path: str, ctx: _Context) -> None:
        spec = self.spec.types.get(type_name)
        if spec is None:
            ctx.problem(f"{path} has type {type_name}, which the specification does not define")
            return
        if spec.subtypes:
            discriminator = self.spec.discriminator(type_name)
            if discriminator is not None and isinstance(value, dict):
                tag_field, mapping = discriminator
                tag = value.get(tag_field)
                subtype = mapping.get(tag) if isinstance(tag, str) else None
                if subtype is None:
                    allowed = ", ".join(sorted(mapping))
                    ctx.problem(
                        f"{path}.{tag_field} must be one of {allowed} for {type_name}, "
                        f"got {value.get(tag_field)!r}"
                    )
                    return
                self._check_one(subtype, value, path, ctx)
                return
            self._check(spec.subtypes, value, path, ctx)
            return
        if isinstance(value, str) and spec.accepts_plain_string:
            return
        if not isinstance(value, dict):
            ctx.problem(f"{path} must be a {type_name} object, got {describe_value(value)}")
            return
        for key in value:
            if key not in spec.fields:
                ctx.problem(f"{path}: unknown field '{key}' in {type_name}")
        for spec_field in spec.fields.values():
            item = value.get(spec_field.name)
            if item is None:
                if spec_field.required:
                    ctx.problem(
                        f"{path}: missing required field '{spec_field.name}' of {type_name}"
                    )
                continue
            child = f"{path}.{spec_field.name}"
            self._check(spec_field.types, item, child, ctx)
            self._limits(spec_field, item, value, spec.fields, child, ctx)
        rule = self.spec.one_of(type_name)
        if rule is not None:
            present = sorted(n for n in rule.fields if value.get(n) is not None)
            if (rule.exactly and len(present) != 1) or len(present) > 1:
                quantity = "exactly one" if rule.exactly else "at most one"
                ctx.problem(
                    f"{path}: {type_name} must use {quantity} of "
                    f"{', '.join(sorted(rule.fields))}; got {', '.join(present) or 'none'}"
                )
        self._type_rules(type_name, value, path, ctx)

    # -------------------------------------------------------------------- limits

    def _limits(
        self,
        spec_field: FieldSpec,
        value: Any,
        owner: dict[str, Any],
        owner_fields: dict[str, FieldSpec],
        path: str,
        ctx: _Context,
    ) -> None:
        name = spec_field.name
        if isinstance(value, str) and (name == "parse_mode" or name.endswith("_parse_mode")):
            if value not in PARSE_MODES:
                ctx.problem(f"{path} must be one of HTML, MarkdownV2, Markdown, got {value!r}")
            return
        if isinstance(value, int) and not isinstance(value, bool):
            bounds = spec_field.integer_range
            if bounds is not None and not bounds[0] <= value <= bounds[1]:
                ctx.problem(f"{path} must be between {bounds[0]} and {bounds[1]}, got {value}")
            return
        if isinstance(value, list):
            most = spec_field.max_items
            if most is not None and len(value) > most:
                ctx.problem(f"{path} may hold at most {most} items, got {len(value)}")
            return
        if not isinstance(value, str):
            return
        limit = spec_field.length
        parse_mode_key = _parse_mode_key(spec_field, owner_fields)
        entities_given = any(owner.get(k) for k in _entities_keys(name))
        measured = value
        after_parsing = parse_mode_key is not None
        if parse_mode_key is not None and not entities_given:
            parse_mode = owner.get(parse_mode_key)
            if isinstance(parse_mode, str) and parse_mode in PARSE_MODES:
                try:
                    measured = parse_text(value, parse_mode).text
                except EntityParseError as error:
                    ctx.problem(f"can't parse entities: {error} (in {path})")
                    return
        if limit is None:
            return
        if limit.unit == "bytes":
            size = len(value.encode("utf-8", "surrogatepass"))
            if not limit.low <= size <= limit.high:
                ctx.problem(f"{path} must be {limit.low}-{limit.high} bytes, got {size}")
            return
        size = utf16_len(measured)
        suffix = " after entity parsing" if after_parsing or limit.after_parsing else ""
        if not limit.low <= size <= limit.high:
            ctx.problem(f"{path} must be {limit.low}-{limit.high} characters{suffix}, got {size}")
        elif limit.low >= 1 and not measured.strip():
            ctx.problem(f"{path} must not be empty or only whitespace{suffix}")

    # --------------------------------------------------------------------- rules

    def _type_rules(self, type_name: str, value: dict[str, Any], path: str, ctx: _Context) -> None:
        """Rules the manual states in words for particular types."""
        if type_name == "BotCommand":
            command = value.get("command")
            if isinstance(command, str) and not _COMMAND_RE.fullmatch(command):
                ctx.problem(
                    f"{path}.command must be 1-32 characters of lowercase English letters, "
                    f"digits and underscores, got {command!r}"
                )
        elif type_name == "MessageEntity":
            kind = value.get("type")
            allowed = _entity_types(self.spec)
            if isinstance(kind, str) and allowed and kind not in allowed:
                ctx.problem(
                    f"{path}.type must be one of {', '.join(sorted(allowed))}, got {kind!r}"
                )

    def _method_rules(self, method: MethodSpec, params: dict[str, Any], ctx: _Context) -> None:
        """Rules the manual states in words for particular methods."""
        if method.name == "sendChatAction":
            action = params.get("action")
            if isinstance(action, str) and action not in _CHAT_ACTIONS:
                ctx.problem(
                    f"action must be one of {', '.join(sorted(_CHAT_ACTIONS))}, got {action!r}"
                )


@functools.cache
def _entity_types(spec: ApiSpec) -> frozenset[str]:
    entity = spec.types.get("MessageEntity")
    if entity is None or "type" not in entity.fields:
        return frozenset()
    return frozenset(re.findall(r'"([a-z_]+)" \(', entity.fields["type"].description))


def _parse_mode_key(spec_field: FieldSpec, owner_fields: dict[str, FieldSpec]) -> str | None:
    """Which sibling parameter sets the parse mode of this text field, if any."""
    own = f"{spec_field.name}_parse_mode"
    if own in owner_fields:
        return own
    limit = spec_field.length
    after = limit is not None and limit.after_parsing
    if "parse_mode" in owner_fields and (after or spec_field.name in _PARSE_MODE_FIELDS):
        return "parse_mode"
    return None


def _entities_keys(name: str) -> tuple[str, ...]:
    if name in ("text", "message_text"):
        return (f"{name}_entities", "entities")
    if name == "caption":
        return ("caption_entities",)
    return (f"{name}_entities",)


def _attach_names(raw: dict[str, Any]) -> set[str]:
    """Names of file parts referenced as attach://<name> anywhere in the values."""
    names: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            names.update(_ATTACH_RE.findall(value))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(raw)
    return names


def _expected(types: tuple[str, ...]) -> str:
    return " or ".join(types)


def _shape_matches(type_name: str, value: Any, spec: ApiSpec) -> bool:
    """Whether a value has the JSON shape of a type, to pick the likeliest alternative."""
    if type_name.startswith("Array of "):
        return isinstance(value, list)
    if type_name in ("Integer", "Float"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_name == "Boolean":
        return isinstance(value, bool)
    if type_name in ("String", "InputFile"):
        return isinstance(value, str)
    if not isinstance(value, dict):
        return False
    type_spec = spec.types.get(type_name)
    if type_spec is None or type_spec.subtypes:
        return True
    required = [n for n, f in type_spec.fields.items() if f.required]
    return all(n in value for n in required) and all(k in type_spec.fields for k in value)
