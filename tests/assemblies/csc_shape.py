"""Rewrite mcs's collection-initialiser IL into the shape csc (Roslyn) emits.

mcs and csc compile the same initialiser differently:

    public override List<string> Contributors { get; set; } = new List<string> { "a", "b" };

    mcs (temporary local)            csc / Roslyn (dup, no local)
    ---------------------            ----------------------------
    ldarg.0                          ldarg.0
    newobj List<string>::.ctor()     newobj List<string>::.ctor()
    stloc.0                          dup
    ldloc.0                          ldstr "a"
    ldstr "a"                        callvirt List<string>::Add(!0)
    callvirt List<string>::Add(!0)   dup
    ldloc.0                          ldstr "b"
    ldstr "b"                        callvirt List<string>::Add(!0)
    callvirt List<string>::Add(!0)   stfld <Contributors>k__BackingField
    ldloc.0
    stfld <Contributors>k__BackingField

Every real SPT 4.x server mod is built by Roslyn, so build.sh runs this pass
over the server-mod DLLs to give the test corpus the dup shape a static
reader meets in the wild (one DLL is deliberately left in mcs shape so the
reader is exercised on both). Only .ctor/.cctor bodies without branches or
exception clauses are touched, and a body is left alone unless every
instruction in it is understood. The pass:

  * drops the `stloc K` after the collection's newobj,
  * turns each element's leading `ldloc K` into `dup`,
  * drops the final `ldloc K` before the store,
  * recomputes max-stack, drops the local signature once no local is used
    (as Roslyn would not have allocated one), and re-emits a tiny header
    when the body qualifies, exactly as Roslyn chooses header formats.

The rewritten body is written in place at its original RVA (it only ever
shrinks); trailing slack is zero-filled. Usage: csc_shape.py FILE.dll ...
"""

from __future__ import annotations

import struct
import sys

import dnfile

# Opcode -> (name, operand size in bytes, fixed stack delta or None if it
# depends on the operand). Only what metadata constructors contain; any other
# opcode makes the body "not understood" and it is left untouched.
ONE_BYTE = {
    0x00: ("nop", 0, 0),
    0x02: ("ldarg.0", 0, 1),
    0x03: ("ldarg.1", 0, 1),
    0x04: ("ldarg.2", 0, 1),
    0x05: ("ldarg.3", 0, 1),
    0x06: ("ldloc.0", 0, 1),
    0x07: ("ldloc.1", 0, 1),
    0x08: ("ldloc.2", 0, 1),
    0x09: ("ldloc.3", 0, 1),
    0x0A: ("stloc.0", 0, -1),
    0x0B: ("stloc.1", 0, -1),
    0x0C: ("stloc.2", 0, -1),
    0x0D: ("stloc.3", 0, -1),
    0x0E: ("ldarg.s", 1, 1),
    0x11: ("ldloc.s", 1, 1),
    0x13: ("stloc.s", 1, -1),
    0x14: ("ldnull", 0, 1),
    0x1F: ("ldc.i4.s", 1, 1),
    0x20: ("ldc.i4", 4, 1),
    0x21: ("ldc.i8", 8, 1),
    0x22: ("ldc.r4", 4, 1),
    0x23: ("ldc.r8", 8, 1),
    0x25: ("dup", 0, 1),
    0x26: ("pop", 0, -1),
    0x28: ("call", 4, None),
    0x2A: ("ret", 0, 0),
    0x6F: ("callvirt", 4, None),
    0x72: ("ldstr", 4, 1),
    0x73: ("newobj", 4, None),
    0x7B: ("ldfld", 4, 0),
    0x7D: ("stfld", 4, -2),
    0x7E: ("ldsfld", 4, 1),
    0x80: ("stsfld", 4, -1),
    0x8C: ("box", 4, 0),
    0x8D: ("newarr", 4, 0),
    0xA2: ("stelem.ref", 0, -3),
    0xD0: ("ldtoken", 4, 1),
}
for _op in range(0x15, 0x1F):  # ldc.i4.m1 .. ldc.i4.8
    ONE_BYTE[_op] = (f"ldc.i4.{_op - 0x16}" if _op != 0x15 else "ldc.i4.m1", 0, 1)

LDLOC_SHORT = {0x06: 0, 0x07: 1, 0x08: 2, 0x09: 3}
STLOC_SHORT = {0x0A: 0, 0x0B: 1, 0x0C: 2, 0x0D: 3}
DUP = 0x25
INITIALISER_METHODS = {"Add", "set_Item"}

CorILMethod_TinyFormat = 0x2
CorILMethod_FatFormat = 0x3
CorILMethod_MoreSects = 0x8
CorILMethod_InitLocals = 0x10


class NotUnderstood(Exception):
    pass


class Instr:
    __slots__ = ("delta", "method", "name", "op", "operand")

    def __init__(self, op: int, operand: bytes, name: str, delta: int, method: str | None):
        self.op = op
        self.operand = operand
        self.name = name
        self.delta = delta
        self.method = method

    def encode(self) -> bytes:
        return bytes([self.op]) + self.operand

    def local(self, kind: str) -> int | None:
        table = LDLOC_SHORT if kind == "ld" else STLOC_SHORT
        if self.op in table:
            return table[self.op]
        if (kind == "ld" and self.op == 0x11) or (kind == "st" and self.op == 0x13):
            return self.operand[0]
        return None


def _compressed(blob: bytes, i: int) -> tuple[int, int]:
    b = blob[i]
    if b & 0x80 == 0:
        return b, i + 1
    if b & 0xC0 == 0x80:
        return ((b & 0x3F) << 8) | blob[i + 1], i + 2
    return ((b & 0x1F) << 24) | (blob[i + 1] << 16) | (blob[i + 2] << 8) | blob[i + 3], i + 4


def _method_sig(pe: dnfile.dnPE, token: int) -> tuple[str, bool, int, bool]:
    """(name, hasthis, param count, returns non-void) of a MethodDef/MemberRef token."""
    table, rid = token >> 24, token & 0xFFFFFF
    tables = pe.net.mdtables
    if table == 0x06:
        row = tables.MethodDef.rows[rid - 1]
    elif table == 0x0A:
        row = tables.MemberRef.rows[rid - 1]
    else:
        raise NotUnderstood(f"call through token table 0x{table:02x}")
    blob = row.Signature.value
    conv = blob[0]
    i = 1
    if conv & 0x10:  # generic method: skip generic parameter count
        _, i = _compressed(blob, i)
    nparams, i = _compressed(blob, i)
    returns = blob[i] != 0x01  # ELEMENT_TYPE_VOID
    return str(row.Name), bool(conv & 0x20), nparams, returns


def decode(pe: dnfile.dnPE, code: bytes) -> list[Instr]:
    out = []
    i = 0
    while i < len(code):
        op = code[i]
        if op not in ONE_BYTE:
            raise NotUnderstood(f"opcode 0x{op:02x}")
        name, size, delta = ONE_BYTE[op]
        operand = bytes(code[i + 1 : i + 1 + size])
        method = None
        if delta is None:
            token = struct.unpack("<I", operand)[0]
            method, hasthis, nparams, returns = _method_sig(pe, token)
            # newobj pops the ctor arguments and pushes the new object
            delta = 1 - nparams if op == 0x73 else int(returns) - nparams - int(hasthis)
        out.append(Instr(op, operand, name, delta, method))
        i += 1 + size
    return out


def max_stack(instrs: list[Instr]) -> int:
    depth = peak = 0
    for ins in instrs:
        if ins.op == 0x2A:  # ret leaves the stack empty in a void body
            continue
        depth += ins.delta
        if depth < 0:
            raise NotUnderstood("stack underflow")
        peak = max(peak, depth)
    return peak


def rewrite_initialisers(instrs: list[Instr]) -> tuple[list[Instr], int]:
    """Return (new instruction list, number of initialisers rewritten)."""
    out: list[Instr] = []
    count = 0
    i = 0
    n = len(instrs)
    while i < n:
        ins = instrs[i]
        k = instrs[i + 1].local("st") if ins.op == 0x73 and i + 1 < n else None
        if k is None:
            out.append(ins)
            i += 1
            continue
        # newobj; stloc K; { ldloc K; <args>; callvirt Add|set_Item }+; ldloc K
        j = i + 2
        groups: list[list[Instr]] = []
        while j < n and instrs[j].local("ld") == k:
            depth = 1
            body: list[Instr] = []
            m = j + 1
            while m < n:
                cur = instrs[m]
                if cur.local("ld") == k or cur.local("st") == k:
                    break
                depth += cur.delta
                body.append(cur)
                m += 1
                if depth == 0:
                    break
            if depth != 0 or not body or body[-1].op != 0x6F or body[-1].method not in INITIALISER_METHODS:
                break  # this ldloc K is the final load (or not our pattern)
            groups.append(body)
            j = m
        if not groups or j >= n or instrs[j].local("ld") != k:
            out.append(ins)
            i += 1
            continue
        out.append(ins)
        for body in groups:
            out.append(Instr(DUP, b"", "dup", 1, None))
            out.extend(body)
        count += 1
        i = j + 1  # skip the final ldloc K
    return out, count


def uses_locals(instrs: list[Instr]) -> bool:
    return any(ins.local("ld") is not None or ins.local("st") is not None for ins in instrs)


def process(path: str) -> int:
    pe = dnfile.dnPE(path)
    with open(path, "rb") as fh:
        data = bytearray(fh.read())
    total = 0
    for row in pe.net.mdtables.MethodDef.rows:
        if str(row.Name) not in (".ctor", ".cctor") or not row.Rva:
            continue
        off = pe.get_offset_from_rva(row.Rva)
        first = data[off]
        if first & 0x3 != CorILMethod_FatFormat:
            continue  # tiny bodies have no locals, so nothing to rewrite
        flags_size, _maxstack, code_size, local_tok = struct.unpack_from("<HHII", data, off)
        flags = flags_size & 0x0FFF
        if flags & CorILMethod_MoreSects:
            continue  # exception clauses: leave alone
        header_size = (flags_size >> 12) * 4
        code = bytes(data[off + header_size : off + header_size + code_size])
        try:
            instrs = decode(pe, code)
            new_instrs, count = rewrite_initialisers(instrs)
            if count == 0:
                continue
            stack = max_stack(new_instrs)
        except NotUnderstood:
            continue
        new_code = b"".join(ins.encode() for ins in new_instrs)
        keep_locals = uses_locals(new_instrs)
        old_len = header_size + code_size
        if not keep_locals and len(new_code) < 64 and stack <= 8:
            body = bytes([(len(new_code) << 2) | CorILMethod_TinyFormat]) + new_code
        else:
            new_flags = flags if keep_locals else flags & ~CorILMethod_InitLocals
            body = (
                struct.pack("<HHII", (3 << 12) | new_flags, stack, len(new_code), local_tok if keep_locals else 0)
                + new_code
            )
        if len(body) > old_len:
            raise SystemExit(f"{path}: rewritten body of {row.Name} grew; refusing")
        data[off : off + old_len] = body + bytes(old_len - len(body))
        total += count
    if total:
        with open(path, "wb") as fh:
            fh.write(data)
    return total


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[0])
        print("usage: csc_shape.py FILE.dll ...")
        return 2
    for path in argv:
        n = process(path)
        print(f"  csc shape: {path}: {n} initialiser(s) rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
