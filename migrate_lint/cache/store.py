"""A content-hash cache of per-file facts, stored with marshal: plain values only, never code."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import marshal
import os
import sys
from pathlib import Path
from typing import Any

from migrate_lint import __version__
from migrate_lint.cache.folder import cache_location

FORMAT = 17  # bump whenever the shape or the meaning of a cached value changes
STAMP = f"{__version__}/{FORMAT}/{sys.version_info[0]}.{sys.version_info[1]}"


class CacheError(ValueError):
    pass


PLAIN = (str, int, bool, float, bytes, type(None))
_PLAIN = frozenset(PLAIN)  # for `type(value) in`: one hash lookup
_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    if kind not in _FIELDS:
        _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return _FIELDS[kind]


def encode(value: Any) -> Any:
    """Dataclasses, enums and paths become lists tagged with their class name; lists are not used
    anywhere else in the values we store, so the tag is unambiguous."""
    kind = type(value)
    if kind in PLAIN:
        return value
    if kind is tuple:
        return tuple([encode(v) for v in value])
    if kind is dict:
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return [kind.__name__, value.value]
    if dataclasses.is_dataclass(kind):
        return [kind.__name__, *[encode(getattr(value, name)) for name in _field_names(kind)]]
    if isinstance(value, Path):
        return ["Path", str(value)]
    if kind is frozenset:
        return frozenset([encode(v) for v in value])
    raise CacheError(f"cannot cache a {kind.__name__}")


_BUILT: dict[type, str] = {}  # how each class is built again: "enum", "init" or "fields"


def _built(cls: type) -> str:
    if cls not in _BUILT:
        _BUILT[cls] = "enum" if issubclass(cls, enum.Enum) else \
            "init" if hasattr(cls, "__post_init__") else "fields"
    return _BUILT[cls]


def decode(value: Any, classes: dict[str, type], paths: dict[str, Path] | None = None) -> Any:
    """`paths`: Path objects the caller has already, by their text (each revision names its own
    file): taken as they are rather than built again."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is list:
        name = value[0]
        if name == "Path":
            known = paths.get(value[1]) if paths else None
            return known if known is not None else Path(value[1])
        cls = classes.get(name)
        if cls is None:
            raise CacheError(f"unknown class {name!r} in cache")
        how = _built(cls)
        if how == "enum":
            return cls(value[1])
        # most fields are plain values, returned as they are without a call (as in tuples below)
        values = [v if type(v) in _PLAIN else decode(v, classes, paths) for v in value]
        del values[0]  # the class name
        if how == "init":
            return cls(*values)
        # What __init__ would do for a frozen dataclass, at a third of the cost: the cache holds
        # values that were valid instances when they were stored.
        instance: Any = object.__new__(cls)
        instance.__dict__.update(zip(_field_names(cls), values, strict=True))
        return instance
    if kind is tuple:
        return tuple([v if type(v) in _PLAIN else decode(v, classes, paths) for v in value])
    if kind is dict:
        return {k: v if type(v) in _PLAIN else decode(v, classes, paths) for k, v in value.items()}
    if kind is frozenset:
        return frozenset([decode(v, classes, paths) for v in value])
    raise CacheError(f"unexpected {kind.__name__} in cache")


def cache_dir() -> Path | None:
    location = cache_location()
    return None if location is None else Path(location)


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def read(folder: Path | None, name: str) -> Any:
    """A stored value, or None when missing, stale, corrupt or unreadable (a cache never fails a
    run; the caller computes the value again and its write replaces the file). The payload's
    checksum catches truncation and flipped bits; callers validate the shape of what they get."""
    if folder is None:
        return None
    try:
        stamp, checksum, payload = marshal.loads((folder / name).read_bytes())
        if stamp != STAMP or checksum != digest(payload):
            return None
        return marshal.loads(payload)
    except (OSError, EOFError, ValueError, TypeError):
        return None


def write(folder: Path | None, name: str, value: Any) -> None:
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        import tempfile

        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(handle, "wb") as out:
            payload = marshal.dumps(value)
            out.write(marshal.dumps((STAMP, digest(payload), payload)))
        os.replace(temporary, folder / name)
    except (OSError, ValueError):
        pass  # a read-only or full disk only costs speed


def _entries(stored: Any) -> dict[str, tuple[str, Any]]:
    """The well-shaped entries of a stored FactsCache (path -> (digest, value)); the rest dropped."""
    if not isinstance(stored, dict):
        return {}
    return {path: entry for path, entry in stored.items() if isinstance(path, str)
            and type(entry) is tuple and len(entry) == 2 and isinstance(entry[0], str)}


def conforms(value: Any, hint: Any) -> bool:
    """Whether `value` has the type `hint` names, all the way down: dataclasses field by field,
    enums, tuple[X, ...], tuple[A, B], dict[K, V], unions, Any and plain classes (exactly: a bool
    is not taken for an int). For values read back from a cache or a worker."""
    import types
    import typing

    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, arg) for arg in args)
    if origin is tuple:
        if type(value) is not tuple:
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(conforms(v, args[0]) for v in value)
        return len(value) == len(args) and all(conforms(v, a) for v, a in zip(value, args, strict=True))
    if origin is dict:
        return type(value) is dict and all(conforms(k, args[0]) and conforms(v, args[1])
                                           for k, v in value.items())
    if hint is None or hint is type(None):
        return value is None
    if dataclasses.is_dataclass(hint):
        return type(value) is hint and all(conforms(getattr(value, name, None), field_hint)
                                           for name, field_hint in _hints(hint).items())
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return isinstance(value, hint)
    return type(value) is hint


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(kind: type) -> dict[str, Any]:
    if kind not in _HINTS:
        import typing

        _HINTS[kind] = typing.get_type_hints(kind)
    return _HINTS[kind]


class FactsCache:
    """Per-history map of file path -> (content digest, encoded facts)."""

    def __init__(self, folder: Path | None, key: str, classes: dict[str, type]) -> None:
        self.folder = folder
        self.name = self._name(key)
        self.classes = classes
        self.entries: dict[str, tuple[str, Any]] = _entries(read(folder, self.name))
        self.changed = False

    @staticmethod
    def _name(key: str) -> str:
        return f"facts-{hashlib.sha1(key.encode()).hexdigest()[:16]}.bin"

    @classmethod
    def stored(cls, folder: Path | None, key: str) -> bool:
        """Whether a cache for `key` exists, without reading it."""
        return folder is not None and (folder / cls._name(key)).is_file()

    def get(self, path: str, content_digest: str, paths: dict[str, Path] | None = None) -> Any:
        """The stored value, if stored for this content; `paths` as decode() takes them."""
        entry = self.entries.get(path)
        if entry is None or entry[0] != content_digest:
            return None
        try:
            return decode(entry[1], self.classes, paths)
        except (CacheError, TypeError, ValueError):
            return None

    def get_field(self, path: str, content_digest: str, name: str,
                  paths: dict[str, Path] | None = None) -> Any:
        """One field of a stored dataclass, decoding nothing else (a header out of FileFacts)."""
        entry = self.entries.get(path)
        if entry is None or entry[0] != content_digest:
            return None
        try:
            encoded = entry[1]
            field_value = encoded[1 + _field_names(self.classes[encoded[0]]).index(name)]
            return decode(field_value, self.classes, paths)
        except (CacheError, TypeError, ValueError, KeyError, IndexError):
            return None

    def put(self, path: str, content_digest: str, value: Any) -> None:
        if self.folder is None:
            return
        try:
            self.entries[path] = (content_digest, encode(value))
        except CacheError:
            return  # not cached: only costs speed
        self.changed = True

    def save(self, keep: set[str]) -> None:
        stale = set(self.entries) - keep
        for path in stale:
            del self.entries[path]
        if self.changed or stale:
            write(self.folder, self.name, self.entries)
