"""Static reading of .NET assemblies: SPT server-mod metadata and BepInEx plugin attributes.

Nothing here loads or runs an assembly. dnfile parses the PE file, the metadata table layout and the heaps;
dncil supplies the CIL opcode table. On top of that sit a tiny stack machine that understands just the IL
idioms mods use to initialise their metadata properties (string, integer and "assembly version" versions,
dictionary and list initialisers, explicit interface implementations, expression-bodied getters), and a
decoder for custom-attribute blobs.

Speed matters (a scan reads hundreds of DLLs): dnfile runs in lazy mode and rows are unpacked straight from
the table bytes, because touching a resolved coded index makes dnfile build every row of every table, and
instructions are decoded here rather than as dncil objects. Both cost more than the rest of the scan together.
"""

from __future__ import annotations

import bisect
import collections
import functools
import logging
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dnfile
import pefile
from dncil.cil.opcode import OpCode, OpCodes, OperandType

# dnfile and pefile log every oddity of hostile files at WARNING; the scan reports problems itself.
for _noisy in ("dnfile", "pefile"):
    logging.getLogger(_noisy).setLevel(logging.CRITICAL)

MAX_ASSEMBLY_BYTES = 100 * 1024 * 1024  # the Forge verifier skips larger DLLs, and so do we
MAX_METHOD_BYTES = 64 * 1024  # a metadata constructor is a few hundred bytes; bigger is not worth walking
MAX_CUSTOM_ATTRIBUTES = 200_000

SERVER_BASE_4_0 = "AbstractModMetadata"
SERVER_INTERFACE_4_1 = "IModMetadata"
SERVER_PROPERTIES = (
    "ModGuid", "Name", "Author", "Contributors", "Version", "SptVersion", "ModDependencies",
    "Incompatibilities", "Url", "License",
)
# Type and member names that must sit NUL-terminated in the #Strings heap of any assembly holding a plugin,
# server metadata or a patcher (possibly as the tail of a longer name, so a byte search has no false negatives).
_PLUGIN_MARKER, _SERVER_MARKER, _PATCHER_MARKER = b"BepInPlugin\x00", b"ModMetadata\x00", b"TargetDLLs\x00"

_COM_DESCRIPTOR = pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_COM_DESCRIPTOR"]
_RESOURCE = pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_RESOURCE"]

# Metadata table numbers (ECMA-335 II.22) and token prefixes.
_TYPEDEF, _TYPEREF, _FIELD, _METHODDEF, _MEMBERREF, _TYPESPEC = 0x02, 0x01, 0x04, 0x06, 0x0A, 0x1B
_TD_ABSTRACT, _TD_INTERFACE = 0x80, 0x20

# Element types used in the signatures we decode.
_ELEMENT_VOID, _ELEMENT_BOOLEAN, _ELEMENT_I4, _ELEMENT_STRING = 0x01, 0x02, 0x08, 0x0E
_ELEMENT_VALUETYPE, _ELEMENT_CLASS = 0x11, 0x12


class AssemblyReadError(Exception):
    """The file is not a readable .NET assembly; the message says why, in words."""


@dataclass(frozen=True)
class PluginDependency:
    guid: str
    hard: bool
    min_version: str | None = None


@dataclass(frozen=True)
class PluginInfo:
    """What a `[BepInPlugin]` class declares about itself."""

    guid: str
    name: str
    version: str
    dependencies: tuple[PluginDependency, ...] = ()
    incompatibilities: tuple[str, ...] = ()
    processes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServerModMetadata:
    """The properties of an SPT 4.x server mod's metadata class, as recovered from its IL."""

    generation: str  # "4.0" (AbstractModMetadata) or "4.1" (IModMetadata)
    type_name: str
    guid: str | None
    name: str | None
    author: str | None
    version: str | None
    spt_constraint: str | None
    dependencies: dict[str, str] = field(default_factory=dict)
    incompatibilities: tuple[str, ...] = ()
    contributors: tuple[str, ...] = ()
    url: str | None = None
    license: str | None = None


@dataclass(frozen=True)
class AssemblyInfo:
    assembly_name: str | None = None
    assembly_version: str | None = None
    file_version: str | None = None
    product_version: str | None = None
    plugins: tuple[PluginInfo, ...] = ()
    server_mods: tuple[ServerModMetadata, ...] = ()
    is_patcher: bool = False


def might_hold_mod_metadata(data: bytes) -> bool:
    """False when the bytes cannot hold a plugin, a patcher or server metadata: it spares the full parse
    of the helper libraries mods ship beside them."""
    return any(marker in data for marker in (_PLUGIN_MARKER, _SERVER_MARKER, _PATCHER_MARKER))


def read_assembly(path: Path, *, with_version_resource: bool = False) -> AssemblyInfo:
    """Read plugin attributes and server-mod metadata from the .NET assembly at `path`.

    Raises AssemblyReadError with a reason for anything that is not a sound .NET assembly.
    """
    data = _read_bounded(path)
    _require_clr_header(data)
    if not might_hold_mod_metadata(data) and not with_version_resource:
        return AssemblyInfo()
    try:
        return _AssemblyReader(data, with_version_resource).read()
    except AssemblyReadError:
        raise
    except (RecursionError, MemoryError):
        raise AssemblyReadError("metadata is too deeply nested or too large to read safely") from None
    except Exception as exc:  # a hostile file can break any assumption of the parsers below
        raise AssemblyReadError(f"damaged .NET metadata ({type(exc).__name__}: {exc})") from None


def read_version_resource(path: Path) -> tuple[str | None, str | None]:
    """(FileVersion, ProductVersion) from the PE version resource of any Windows executable or DLL."""
    data = _read_bounded(path)
    try:
        pe = pefile.PE(data=data, fast_load=True)
        pe.parse_data_directories(directories=[_RESOURCE])
        return _version_strings(pe)
    except Exception as exc:
        raise AssemblyReadError(f"not a readable Windows executable ({exc})") from None


def _require_clr_header(data: bytes) -> None:
    """Refuse non-PE files and native DLLs by their headers alone (cheap, before any real parsing)."""
    if len(data) < 0x40 or data[:2] != b"MZ":
        raise AssemblyReadError("not a Windows DLL (no MZ header)")
    pe_offset = struct.unpack_from("<I", data, 0x3C)[0]
    if pe_offset + 24 + 2 > len(data) or data[pe_offset:pe_offset + 4] != b"PE\x00\x00":
        raise AssemblyReadError("not a Windows DLL (no PE header)")
    optional = pe_offset + 24
    magic = struct.unpack_from("<H", data, optional)[0]
    if magic not in (0x10B, 0x20B):
        raise AssemblyReadError("not a Windows DLL (unknown optional header)")
    directories = optional + (96 if magic == 0x10B else 112)
    com_descriptor = directories + 14 * 8
    if com_descriptor + 8 > len(data) or struct.unpack_from("<II", data, com_descriptor) == (0, 0):
        raise AssemblyReadError("not a .NET assembly (no CLR header; a native DLL?)")
    section_count, optional_size = struct.unpack_from("<H", data, pe_offset + 6)[0], \
        struct.unpack_from("<H", data, pe_offset + 20)[0]
    sections = optional + optional_size
    if sections + 40 * section_count > len(data):
        raise AssemblyReadError("the file is cut short (an incomplete download or copy?)")
    for index in range(section_count):
        raw_size, raw_pointer = struct.unpack_from("<II", data, sections + 40 * index + 16)
        if raw_pointer + raw_size > len(data):
            raise AssemblyReadError("the file is cut short (an incomplete download or copy?)")


def _read_bounded(path: Path) -> bytes:
    try:
        size = os.stat(path).st_size
        if size == 0:
            raise AssemblyReadError("the file is empty")
        if size > MAX_ASSEMBLY_BYTES:
            raise AssemblyReadError(f"the file is larger than {MAX_ASSEMBLY_BYTES // (1024 * 1024)} MiB")
        return path.read_bytes()
    except OSError as exc:
        raise AssemblyReadError(f"cannot read the file ({exc.strerror or exc})") from None


def _version_strings(pe: pefile.PE) -> tuple[str | None, str | None]:
    file_version = product_version = None
    for info in getattr(pe, "FileInfo", None) or []:
        for entry in info:
            for table in getattr(entry, "StringTable", []):
                values = {k.decode("utf-8", "replace"): v.decode("utf-8", "replace").strip()
                          for k, v in table.entries.items()}
                file_version = file_version or values.get("FileVersion") or None
                product_version = product_version or values.get("ProductVersion") or None
    if file_version is None and hasattr(pe, "VS_FIXEDFILEINFO"):
        fixed = pe.VS_FIXEDFILEINFO[0]
        file_version = ".".join(str(part) for part in (
            fixed.FileVersionMS >> 16, fixed.FileVersionMS & 0xFFFF,
            fixed.FileVersionLS >> 16, fixed.FileVersionLS & 0xFFFF))
    return file_version, product_version


# --------------------------------------------------------------------------------------------------------
# Metadata navigation on raw rows


class _AssemblyReader:
    def __init__(self, data: bytes, with_version_resource: bool) -> None:
        directories = [_COM_DESCRIPTOR, _RESOURCE] if with_version_resource else [_COM_DESCRIPTOR]
        try:
            self.pe = dnfile.dnPE(data=data, fast_load=True, clr_lazy_load=True)
            self.pe.parse_data_directories(directories=directories)
        except pefile.PEFormatError as exc:
            raise AssemblyReadError(f"not a Windows DLL ({exc.value})") from None
        self.with_version_resource = with_version_resource
        net = self.pe.net
        if net is None or net.mdtables is None or net.strings is None:
            raise AssemblyReadError("not a .NET assembly (no CLR metadata; a native DLL?)")
        self.net = net
        self.tables = net.mdtables
        self.code = _CodeReader(self)
        self._rows: dict[str, list[Any]] = {}
        self._strings: dict[int, str] = {}

    # -- heaps
    def string(self, index: int) -> str:
        cached = self._strings.get(index)
        if cached is None:
            item = self.net.strings.get(index)
            cached = self._strings[index] = str(item) if item is not None else ""
        return cached

    def user_string(self, index: int) -> str | None:
        heap = self.net.user_strings
        item = heap.get(index) if heap is not None else None
        return item.value if item is not None else None

    def blob(self, index: int) -> bytes:
        heap = self.net.blobs
        item = heap.get(index) if heap is not None else None
        return bytes(item.value) if item is not None else b""

    # -- tables
    def rows(self, name: str) -> list[Any]:
        """All rows of a table as named tuples of raw values (heap offsets, coded indexes)."""
        if name not in self._rows:
            self._rows[name] = self._unpack_table(name)
        return self._rows[name]

    def _unpack_table(self, name: str) -> list[Any]:
        # dnfile computes each table's row layout (column widths depend on heap and table sizes); one
        # struct.iter_unpack over the table then costs a fraction of building dnfile's row objects.
        table = getattr(self.tables, name, None)
        if table is None or table.num_rows == 0:
            return []
        layout = table.rows[0].struct
        data = table._table_data
        if len(data) < table.row_size * table.num_rows:
            raise AssemblyReadError(f"the {name} metadata table is cut short")
        row_type = _row_type(name, tuple(keys[0] for keys in layout.__keys__))
        unpacker = struct.Struct(layout.__format_str__)
        return [row_type._make(values) for values in unpacker.iter_unpack(data[:table.row_size * table.num_rows])]

    def row(self, name: str, rid: int) -> Any | None:
        rows = self.rows(name)
        return rows[rid - 1] if 0 < rid <= len(rows) else None

    def type_name(self, table: int, rid: int) -> str:
        """Name of a TypeDef / TypeRef / TypeSpec (generic instances give their generic type's name)."""
        if table == _TYPEDEF:
            row = self.row("TypeDef", rid)
            return self.string(row.TypeName_StringIndex) if row else ""
        if table == _TYPEREF:
            row = self.row("TypeRef", rid)
            return self.string(row.TypeName_StringIndex) if row else ""
        if table == _TYPESPEC:
            row = self.row("TypeSpec", rid)
            return self._typespec_name(self.blob(row.Signature_BlobIndex)) if row else ""
        return ""

    def _typespec_name(self, signature: bytes) -> str:
        # GENERICINST (0x15) CLASS|VALUETYPE TypeDefOrRef ... : name the generic type definition.
        if len(signature) >= 3 and signature[0] == 0x15 and signature[1] in (_ELEMENT_CLASS, _ELEMENT_VALUETYPE):
            coded, _ = _compressed_uint(signature, 2)
            table, rid = _decode_type_def_or_ref(coded)
            return self.type_name(table, rid)
        return ""

    def method_ref(self, token: int) -> _MethodRef | None:
        """Declaring type, name and signature of a MethodDef or MemberRef token."""
        table, rid = token >> 24, token & 0xFFFFFF
        if table == _MEMBERREF:
            row = self.row("MemberRef", rid)
            if row is None:
                return None
            parent_table, parent_rid = _decode_member_ref_parent(row.Class_CodedIndex)
            return _MethodRef(self.type_name(parent_table, parent_rid), self.string(row.Name_StringIndex),
                              self.blob(row.Signature_BlobIndex))
        if table == _METHODDEF:
            row = self.row("MethodDef", rid)
            if row is None:
                return None
            owner = self._method_owner(rid)
            return _MethodRef(owner, self.string(row.Name_StringIndex),
                              self.blob(row.Signature_BlobIndex))
        return None

    def field_name(self, token: int) -> str:
        table, rid = token >> 24, token & 0xFFFFFF
        if table == _FIELD:
            row = self.row("Field", rid)
            return self.string(row.Name_StringIndex) if row else ""
        if table == _MEMBERREF:
            row = self.row("MemberRef", rid)
            return self.string(row.Name_StringIndex) if row else ""
        return ""

    def _method_owner(self, method_rid: int) -> str:
        """Name of the type whose method list holds `method_rid` (lists are sorted: II.22.37)."""
        types = self.rows("TypeDef")
        index = bisect.bisect_right([row.MethodList_Index for row in types], method_rid) - 1
        return self.string(types[index].TypeName_StringIndex) if index >= 0 else ""

    def _auto_properties(self, type_index: int) -> set[str]:
        types, fields = self.rows("TypeDef"), self.rows("Field")
        start = types[type_index].FieldList_Index
        end = types[type_index + 1].FieldList_Index if type_index + 1 < len(types) else len(fields) + 1
        rids = range(max(start, 1), min(end, len(fields) + 1))
        names = (self.string(fields[rid - 1].Name_StringIndex) for rid in rids)
        return {_member_name(n[1:n.index(">")]) for n in names if n.startswith("<") and "k__BackingField" in n}

    def methods_of(self, type_index: int) -> Iterator[Any]:
        types, methods = self.rows("TypeDef"), self.rows("MethodDef")
        start = types[type_index].MethodList_Index
        end = types[type_index + 1].MethodList_Index if type_index + 1 < len(types) else len(methods) + 1
        for rid in range(max(start, 1), min(end, len(methods) + 1)):
            yield methods[rid - 1]

    # -- what we are here for
    def read(self) -> AssemblyInfo:
        data = self.pe.__data__
        name, version = self._assembly_identity()
        file_version = product_version = None
        if self.with_version_resource:
            file_version, product_version = _version_strings(self.pe)
        return AssemblyInfo(
            assembly_name=name,
            assembly_version=version,
            file_version=file_version,
            product_version=product_version,
            plugins=tuple(self._plugins()) if _PLUGIN_MARKER in data else (),
            server_mods=tuple(self._server_mods()) if _SERVER_MARKER in data else (),
            is_patcher=_PATCHER_MARKER in data and self._is_patcher(),
        )

    def _assembly_identity(self) -> tuple[str | None, str | None]:
        rows = self.rows("Assembly")
        if not rows:
            return None, None
        s = rows[0]
        version = f"{s.MajorVersion}.{s.MinorVersion}.{s.BuildNumber}.{s.RevisionNumber}"
        return self.string(s.Name_StringIndex) or None, version

    def assembly_version(self) -> tuple[int, int, int, int] | None:
        rows = self.rows("Assembly")
        if not rows:
            return None
        s = rows[0]
        return s.MajorVersion, s.MinorVersion, s.BuildNumber, s.RevisionNumber

    def _is_patcher(self) -> bool:
        """BepInEx 5 preloader patchers expose a static `TargetDLLs` property and a static `Patch` method."""
        method_names = {self.string(m.Name_StringIndex) for m in self.rows("MethodDef")}
        return "get_TargetDLLs" in method_names and "Patch" in method_names

    # -- client plugins
    def _plugins(self) -> Iterator[PluginInfo]:
        by_type: dict[int, dict[str, list[list[Any]]]] = {}
        attributes = self.rows("CustomAttribute")
        if len(attributes) > MAX_CUSTOM_ATTRIBUTES:
            raise AssemblyReadError("implausibly many custom attributes")
        for attribute in attributes:
            parent_table, parent_rid = _decode_has_custom_attribute(attribute.Parent_CodedIndex)
            if parent_table != _TYPEDEF:
                continue
            ctor = self._attribute_ctor(attribute.Type_CodedIndex)
            if ctor is None or not ctor.type_name.startswith("BepIn"):
                continue
            args = _decode_attribute_args(self.blob(attribute.Value_BlobIndex), ctor.signature)
            if args is not None:
                by_type.setdefault(parent_rid, {}).setdefault(ctor.type_name, []).append(args)
        for attrs in by_type.values():
            plugin = _plugin_from_attributes(attrs)
            if plugin is not None:
                yield plugin

    def _attribute_ctor(self, coded: int) -> _MethodRef | None:
        tag, rid = coded & 0x7, coded >> 3
        if tag == 3:
            return self.method_ref((_MEMBERREF << 24) | rid)
        if tag == 2:
            return self.method_ref((_METHODDEF << 24) | rid)
        return None

    # -- server mods
    def _server_mods(self) -> Iterator[ServerModMetadata]:
        interfaces: dict[int, list[str]] = {}
        for impl in self.rows("InterfaceImpl"):
            table, rid = _decode_type_def_or_ref(impl.Interface_CodedIndex)
            interfaces.setdefault(impl.Class_Index, []).append(self.type_name(table, rid))
        for index, row in enumerate(self.rows("TypeDef")):
            flags = row.Flags
            if flags & (_TD_ABSTRACT | _TD_INTERFACE):
                continue
            base_table, base_rid = _decode_type_def_or_ref(row.Extends_CodedIndex)
            if row.Extends_CodedIndex and self.type_name(base_table, base_rid) == SERVER_BASE_4_0:
                generation = "4.0"
            elif SERVER_INTERFACE_4_1 in interfaces.get(index + 1, ()):
                generation = "4.1"
            else:
                continue
            yield self._server_metadata(index, generation, self.string(row.TypeName_StringIndex))

    def _server_metadata(self, type_index: int, generation: str, type_name: str) -> ServerModMetadata:
        values: dict[str, Any] = {}
        methods = list(self.methods_of(type_index))
        for method in methods:
            if self.string(method.Name_StringIndex) == ".ctor":
                for prop, value in self.code.property_stores(method):
                    values.setdefault(prop, value)
        # Expression-bodied properties (`public override string Name => "X";`) keep their value in the getter;
        # an auto-property's getter only reads its backing field, so it is not worth walking.
        auto_properties = self._auto_properties(type_index)
        for method in methods:
            name = _member_name(self.string(method.Name_StringIndex))
            prop = name[4:] if name.startswith("get_") else ""
            if prop in SERVER_PROPERTIES and prop not in auto_properties and values.get(prop) is None:
                value = self.code.returned_value(method)
                if value is not None:
                    values[prop] = value
        return ServerModMetadata(
            generation=generation,
            type_name=type_name,
            guid=_as_text(values.get("ModGuid")),
            name=_as_text(values.get("Name")),
            author=_as_text(values.get("Author")),
            version=_as_text(values.get("Version")),
            spt_constraint=_as_text(values.get("SptVersion")),
            dependencies=_as_mapping(values.get("ModDependencies")),
            incompatibilities=_as_strings(values.get("Incompatibilities")),
            contributors=_as_strings(values.get("Contributors")),
            url=_as_text(values.get("Url")),
            license=_as_text(values.get("License")),
        )


@functools.cache
def _row_type(table: str, columns: tuple[str, ...]) -> type:
    return collections.namedtuple(table, columns)  # type: ignore[misc]


@dataclass(frozen=True)
class _MethodRef:
    type_name: str
    name: str
    signature: bytes

    @property
    def has_this(self) -> bool:
        return bool(self.signature) and bool(self.signature[0] & 0x20)

    def parameter_types(self) -> list[int] | None:
        """Element types of the parameters (just the leading byte of each), None if unreadable."""
        return _signature_parameters(self.signature)

    @property
    def returns_value(self) -> bool:
        types = _signature_return_and_params(self.signature)
        return types is not None and types[0] != _ELEMENT_VOID


# --------------------------------------------------------------------------------------------------------
# The IL stack machine


class _This:
    """The `this` pointer of the constructor being walked."""


class _Assembly:
    pass


class _AssemblyName:
    pass


@dataclass
class _SystemVersion:
    parts: tuple[int, int, int, int]

    def text(self, count: int = 4) -> str:
        return ".".join(str(p) for p in self.parts[:count])


_THIS = _This()
_OPCODES = OpCodes()
_ASSEMBLY_GETTERS = {"get_Assembly", "GetExecutingAssembly", "GetCallingAssembly", "GetAssembly"}


class _CodeReader:
    """Interprets the handful of IL idioms that initialise metadata properties."""

    def __init__(self, assembly: _AssemblyReader) -> None:
        self.assembly = assembly

    def property_stores(self, method: Any) -> Iterator[tuple[str, Any]]:
        """(property, value) for every `this.<Prop>k__BackingField = value` / `this.set_Prop(value)`."""
        stores: list[tuple[str, Any]] = []
        self._run(method, on_store=lambda prop, value: stores.append((prop, value)))
        yield from stores

    def returned_value(self, method: Any) -> Any:
        return self._run(method, on_store=None)

    def _instructions(self, method: Any) -> list[tuple[str, int]]:
        rva = method.Rva
        if not rva:
            return []
        offset = self.assembly.pe.get_offset_from_rva(rva)
        data = self.assembly.pe.__data__
        if offset is None or not 0 <= offset < len(data):
            raise AssemblyReadError("a method body points outside the file")
        code = _method_code(data, offset)
        return _decode_il(code) if code is not None else []

    def _run(self, method: Any, on_store: Callable[[str, Any], None] | None) -> Any:
        stack: list[Any] = []
        locals_: dict[int, Any] = {}
        for name, operand in self._instructions(method):
            if name == "ret":
                return stack[-1] if stack else None
            try:
                self._step(name, operand, stack, locals_, on_store)
            except IndexError:  # stack underflow: code we do not model; start afresh
                stack.clear()
        return None

    def _step(self, name: str, operand: int, stack: list[Any], locals_: dict[int, Any],
              on_store: Callable[[str, Any], None] | None) -> None:
        if name == "nop":
            return
        if name == "ldarg.0":
            stack.append(_THIS)
        elif name == "ldstr":
            stack.append(self.assembly.user_string(operand & 0xFFFFFF))
        elif name.startswith("ldc.i4"):
            stack.append(_ldc_value(name, operand))
        elif name == "ldnull":
            stack.append(None)
        elif name == "dup":
            stack.append(stack[-1])
        elif name == "pop":
            stack.pop()
        elif name.startswith("stloc"):
            locals_[_local_index(name, operand)] = stack.pop()
        elif name.startswith("ldloc"):
            stack.append(locals_.get(_local_index(name, operand)))
        elif name == "ldtoken":
            stack.append(None)
        elif name == "newobj":
            self._new_object(operand, stack)
        elif name in ("call", "callvirt"):
            self._call(operand, stack, on_store)
        elif name == "stfld":
            value, target = stack.pop(), stack.pop()
            field_name = self.assembly.field_name(operand)
            if target is _THIS and on_store and field_name.startswith("<") and "k__BackingField" in field_name:
                on_store(_member_name(field_name[1:field_name.index(">")]), value)
        else:
            # Anything else (branches, arithmetic, loads we do not model) makes the stack unknowable.
            stack.clear()

    def _new_object(self, token: int, stack: list[Any]) -> None:
        ctor = self.assembly.method_ref(token)
        params = ctor.parameter_types() if ctor else None
        if ctor is None or params is None:
            stack.clear()
            return
        args = _pop_args(stack, len(params))
        if ctor.type_name == "Version":
            stack.append(_compose_version(args))
        elif ctor.type_name == "Range":
            stack.append(args[0] if args and isinstance(args[0], str) else None)
        elif ctor.type_name == "Dictionary`2":
            stack.append({})
        elif ctor.type_name in ("List`1", "HashSet`1"):
            stack.append([])
        else:
            stack.append(None)

    def _call(self, token: int, stack: list[Any], on_store: Callable[[str, Any], None] | None) -> None:
        method = self.assembly.method_ref(token)
        params = method.parameter_types() if method else None
        if method is None or params is None:
            stack.clear()
            return
        args = _pop_args(stack, len(params))
        target = stack.pop() if method.has_this else None
        result = self._call_result(method, target, args, on_store)
        if method.returns_value:
            stack.append(result)

    def _call_result(self, method: _MethodRef, target: Any, args: list[Any],
                     on_store: Callable[[str, Any], None] | None) -> Any:
        name = method.name
        if name in ("Add", "set_Item") and isinstance(target, dict) and len(args) == 2:
            if isinstance(args[0], str):
                target[args[0]] = args[1]
        elif name == "Add" and isinstance(target, list) and len(args) == 1:
            target.append(args[0])
        elif name.startswith("set_") and target is _THIS and on_store:
            on_store(_member_name(name)[4:], args[0] if args else None)
        elif name in _ASSEMBLY_GETTERS:
            return _Assembly()
        elif name == "GetName" and isinstance(target, _Assembly):
            return _AssemblyName()
        elif name == "get_Version" and isinstance(target, _AssemblyName):
            parts = self.assembly.assembly_version()
            return _SystemVersion(parts) if parts else None
        elif isinstance(target, _SystemVersion):
            return _system_version_member(target, name, args)
        return None


def _member_name(name: str) -> str:
    """`ModGuid` from `ModGuid` and from an explicit interface implementation's `Ns.IModMetadata.ModGuid`."""
    return name.rsplit(".", 1)[-1]


def _system_version_member(version: _SystemVersion, name: str, args: list[Any]) -> Any:
    if name == "ToString":
        count = args[0] if args and isinstance(args[0], int) else 4
        return version.text(max(1, min(4, count)))
    members = {"get_Major": 0, "get_Minor": 1, "get_Build": 2, "get_Revision": 3}
    return version.parts[members[name]] if name in members else None


def _pop_args(stack: list[Any], count: int) -> list[Any]:
    if count == 0:
        return []
    if len(stack) < count:
        raise IndexError("stack underflow")
    args = stack[-count:]
    del stack[-count:]
    return args


def _local_index(name: str, operand: int) -> int:
    suffix = name.rsplit(".", 1)[-1]
    return int(suffix) if suffix.isdigit() else operand


def _ldc_value(name: str, operand: int) -> int:
    suffix = name[len("ldc.i4"):]
    if suffix in ("", ".s"):
        return operand
    return -1 if suffix == ".m1" else int(suffix[1:])


# Operand sizes by operand type (ECMA-335 III.1.9); InlineSwitch is 4 + 4 * n and handled apart.
_OPERAND_SIZES = {
    OperandType.InlineNone: 0, OperandType.ShortInlineBrTarget: 1, OperandType.ShortInlineI: 1,
    OperandType.ShortInlineVar: 1, OperandType.InlineVar: 2, OperandType.InlineBrTarget: 4,
    OperandType.InlineField: 4, OperandType.InlineI: 4, OperandType.InlineMethod: 4, OperandType.InlineSig: 4,
    OperandType.InlineString: 4, OperandType.InlineTok: 4, OperandType.InlineType: 4, OperandType.ShortInlineR: 4,
    OperandType.InlineI8: 8, OperandType.InlineR: 8, OperandType.InlineSwitch: 4,
}
_SIGNED_OPERANDS = {OperandType.ShortInlineI, OperandType.InlineI, OperandType.ShortInlineBrTarget,
                    OperandType.InlineBrTarget}


def _opcode_table(opcodes: list[OpCode]) -> list[tuple[str, int, bool] | None]:
    table: list[tuple[str, int, bool] | None] = []
    for opcode in opcodes:
        size = _OPERAND_SIZES.get(opcode.operand_type)
        known = size is not None and not opcode.name.startswith("UNKNOWN")
        table.append((opcode.name.lower(), size, opcode.operand_type in _SIGNED_OPERANDS) if known else None)
    return table


# dncil supplies the opcode table; decoding is done here, because dncil's instruction objects cost more than
# the rest of the scan together.
_ONE_BYTE_OPCODES = _opcode_table(_OPCODES.one_byte_op_codes)
_TWO_BYTE_OPCODES = _opcode_table(_OPCODES.two_byte_op_codes)


def _method_code(data: bytes, offset: int) -> bytes | None:
    """The IL bytes of the method body at `offset` (tiny or fat header, ECMA-335 II.25.4)."""
    first = data[offset]
    if first & 0x3 == 0x2:  # tiny header: size in the upper six bits
        start, size = offset + 1, first >> 2
    elif first & 0x3 == 0x3 and offset + 12 <= len(data):
        header_size = (data[offset + 1] >> 4) * 4
        size = struct.unpack_from("<I", data, offset + 4)[0]
        start = offset + header_size
    else:
        raise AssemblyReadError("unreadable method body header")
    if size > MAX_METHOD_BYTES:
        return None
    if start + size > len(data):
        raise AssemblyReadError("a method body runs past the end of the file")
    return data[start:start + size]


def _decode_il(code: bytes) -> list[tuple[str, int]]:
    """(mnemonic, operand) for each instruction; operands are tokens, constants or branch offsets."""
    instructions: list[tuple[str, int]] = []
    position, end = 0, len(code)
    while position < end:
        byte = code[position]
        position += 1
        if byte == 0xFE:
            if position >= end:
                break
            entry = _TWO_BYTE_OPCODES[code[position]]
            position += 1
        else:
            entry = _ONE_BYTE_OPCODES[byte]
        if entry is None:
            raise AssemblyReadError("a method body holds an unknown instruction")
        name, size, signed = entry
        if position + size > end:
            raise AssemblyReadError("a method body ends inside an instruction")
        operand = int.from_bytes(code[position:position + size], "little", signed=signed) if size else 0
        position += size
        if name == "switch":
            position += 4 * operand
        instructions.append((name, operand))
    return instructions


def _compose_version(args: list[Any]) -> str | None:
    """`new Version("1.2.3")`, `new Version(1, 2, 3)`, `new Version(1, 2, 3, "beta.2", "build")`."""
    if args and isinstance(args[0], str):
        return args[0]
    if len(args) >= 3 and all(isinstance(a, int) and not isinstance(a, bool) for a in args[:3]):
        text = f"{args[0]}.{args[1]}.{args[2]}"
        if len(args) > 3 and isinstance(args[3], str) and args[3]:
            text += f"-{args[3]}"
        if len(args) > 4 and isinstance(args[4], str) and args[4]:
            text += f"+{args[4]}"
        return text
    return None


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, _SystemVersion):
        return value.text()
    return None


def _as_strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _as_mapping(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v if isinstance(v, str) else "*" for k, v in value.items()}


# --------------------------------------------------------------------------------------------------------
# Signatures, coded indexes and custom-attribute blobs (ECMA-335 II.23, II.24)


def _compressed_uint(data: bytes, offset: int) -> tuple[int, int]:
    first = data[offset]
    if first & 0x80 == 0:
        return first, offset + 1
    if first & 0xC0 == 0x80:
        return ((first & 0x3F) << 8) | data[offset + 1], offset + 2
    if first & 0xE0 == 0xC0:
        return (((first & 0x1F) << 24) | (data[offset + 1] << 16) | (data[offset + 2] << 8)
                | data[offset + 3]), offset + 4
    raise ValueError("bad compressed integer")


def _signature_return_and_params(signature: bytes) -> list[int] | None:
    """[return element type, param element types...] of a method signature; None when unreadable."""
    try:
        offset = 1
        if signature[0] & 0x10:  # generic method: skip the generic parameter count
            _, offset = _compressed_uint(signature, offset)
        count, offset = _compressed_uint(signature, offset)
        if count > 255:
            return None
        types: list[int] = []
        for _ in range(count + 1):
            element, offset = _skip_type(signature, offset)
            types.append(element)
        return types
    except (IndexError, ValueError):
        return None


def _signature_parameters(signature: bytes) -> list[int] | None:
    types = _signature_return_and_params(signature)
    return types[1:] if types is not None else None


def _skip_type(sig: bytes, offset: int) -> tuple[int, int]:
    """Read one type in a signature; return its leading element type and the offset after it."""
    element = sig[offset]
    offset += 1
    while element in (0x1F, 0x20):  # CMOD_REQD / CMOD_OPT TypeDefOrRef, then the real type
        _, offset = _compressed_uint(sig, offset)
        element = sig[offset]
        offset += 1
    if element in (0x0F, 0x10, 0x1D, 0x45):  # PTR, BYREF, SZARRAY, PINNED
        _, offset = _skip_type(sig, offset)
    elif element in (_ELEMENT_VALUETYPE, _ELEMENT_CLASS) or element in (0x13, 0x1E):
        _, offset = _compressed_uint(sig, offset)
    elif element == 0x15:  # GENERICINST
        offset += 1
        _, offset = _compressed_uint(sig, offset)
        count, offset = _compressed_uint(sig, offset)
        for _ in range(count):
            _, offset = _skip_type(sig, offset)
    elif element == 0x14:  # ARRAY: type rank numsizes sizes numlobounds lobounds
        _, offset = _skip_type(sig, offset)
        _, offset = _compressed_uint(sig, offset)
        for _ in range(2):
            n, offset = _compressed_uint(sig, offset)
            for _ in range(n):
                _, offset = _compressed_uint(sig, offset)
    elif element == 0x1B:  # FNPTR
        raise ValueError("function pointers are not expected here")
    return element, offset


def _decode_type_def_or_ref(coded: int) -> tuple[int, int]:
    return (_TYPEDEF, _TYPEREF, _TYPESPEC, 0)[coded & 0x3], coded >> 2


def _decode_member_ref_parent(coded: int) -> tuple[int, int]:
    return (_TYPEDEF, _TYPEREF, 0x1A, _METHODDEF, _TYPESPEC, 0, 0, 0)[coded & 0x7], coded >> 3


def _decode_has_custom_attribute(coded: int) -> tuple[int, int]:
    tag = coded & 0x1F
    return (_TYPEDEF if tag == 3 else -1), coded >> 5


def _decode_attribute_args(blob: bytes, ctor_signature: bytes) -> list[Any] | None:
    """Fixed arguments of a custom attribute whose constructor takes strings, bools, ints or enums."""
    params = _signature_parameters(ctor_signature)
    if params is None or len(blob) < 2 or blob[:2] != b"\x01\x00":
        return None
    offset, args = 2, []
    try:
        for element in params:
            if element == _ELEMENT_STRING:
                value, offset = _ser_string(blob, offset)
            elif element in (_ELEMENT_I4, _ELEMENT_VALUETYPE):  # BepInEx's only enum is int-backed
                value = struct.unpack_from("<i", blob, offset)[0]
                offset += 4
            elif element == _ELEMENT_BOOLEAN:
                value, offset = bool(blob[offset]), offset + 1
            else:
                return None
            args.append(value)
    except (IndexError, struct.error, ValueError, UnicodeDecodeError):
        return None
    return args


def _ser_string(blob: bytes, offset: int) -> tuple[str | None, int]:
    if blob[offset] == 0xFF:
        return None, offset + 1
    length, offset = _compressed_uint(blob, offset)
    if offset + length > len(blob):
        raise ValueError("string runs past the blob")
    return blob[offset:offset + length].decode("utf-8"), offset + length


_DEPENDENCY_SOFT = 2


def _plugin_from_attributes(attrs: dict[str, list[list[Any]]]) -> PluginInfo | None:
    declared = attrs.get("BepInPlugin")
    if not declared or len(declared[0]) != 3 or not all(isinstance(a, str) for a in declared[0]):
        return None
    guid, name, version = declared[0]
    dependencies = []
    for args in attrs.get("BepInDependency", []):
        if len(args) != 2 or not isinstance(args[0], str):
            continue
        if isinstance(args[1], str):  # (guid, MinimumDependencyVersion): always a hard dependency
            dependencies.append(PluginDependency(args[0], hard=True, min_version=args[1]))
        else:
            dependencies.append(PluginDependency(args[0], hard=not (int(args[1]) & _DEPENDENCY_SOFT)))
    return PluginInfo(
        guid=guid,
        name=name,
        version=version,
        dependencies=tuple(dependencies),
        incompatibilities=tuple(a[0] for a in attrs.get("BepInIncompatibility", []) if a and a[0]),
        processes=tuple(a[0] for a in attrs.get("BepInProcess", []) if a and a[0]),
    )
