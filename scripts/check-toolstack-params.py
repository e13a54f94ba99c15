#!/usr/bin/env python3
"""Checks that the toolstack's copy of the parameter table matches the engine.

libxl (xen-patches/tools/libs/light/libxl_carrefour.c: carrefour_params[]) keeps each
Carrefour parameter's name and accepted range, so that xl can name the
parameter that is out of range before Xen refuses the call.  The engine
(carrefour-core/src/params.rs: Tunable::name() and Tunable::range()) is
the authority.  This script fails when the two disagree on a name or a
bound, or when either has a parameter the other lacks.

Usage: scripts/check-toolstack-params.py     (from anywhere; exit 0 = same)
"""
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PARAMS_RS = os.path.join(TOP, "carrefour-core", "src", "params.rs")
LIBXL_C = os.path.join(TOP, "xen-patches", "tools", "libs", "light",
                       "libxl_carrefour.c")


def c_int(expr, consts):
    """Evaluates a Rust or C integer expression of literals and constants."""
    expr = re.sub(r"(?<=\d)_(?=\d)", "", expr)      # 60_000 -> 60000
    expr = re.sub(r"\b(\d+)[uU][lL]*\b", r"\1", expr)
    names = set(re.findall(r"\b[A-Za-z_][A-Za-z_0-9]*\b", expr))
    unknown = names - set(consts)
    if unknown:
        raise ValueError(f"unknown names {sorted(unknown)} in '{expr}'")
    return int(eval(expr, {"__builtins__": {}}, dict(consts)))


def engine_table():
    src = open(PARAMS_RS).read()
    consts = {}
    # Constants, in order (later ones may use earlier ones).
    for name, expr in re.findall(r"pub const ([A-Z_0-9]+): u64 = ([^;]+);", src):
        consts[name] = c_int(expr, consts)
    names = dict(re.findall(r'Tunable::(\w+) => "(\w+)"', src))
    body = src[src.index("pub const fn range"):]
    body = body[:body.index("\n    }\n")]
    table = {}
    for variant, lo, hi in re.findall(
            r"^\s*Tunable::(\w+) => \(([^,]+), (.+)\),\s*$", body, re.M):
        table[names[variant]] = (c_int(lo, consts), c_int(hi, consts))
    if set(table) != set(names.values()):
        sys.exit(f"{PARAMS_RS}: range() and name() list different tunables")
    return table


def toolstack_table():
    text = open(LIBXL_C).read()
    if "static const struct carrefour_param_desc" not in text:
        sys.exit(f"{LIBXL_C}: no carrefour_params[] table")
    table = {}
    for name, lo, hi in re.findall(
            r'^\s*\{ "(\w+)", "[^"]*", ([^,]+), (.+?) \},$', text, re.M):
        table[name] = (c_int(lo, {}), c_int(hi, {}))
    return os.path.relpath(LIBXL_C, TOP), table


def main():
    engine = engine_table()
    patch, toolstack = toolstack_table()
    bad = []
    for name in sorted(set(engine) | set(toolstack)):
        e, t = engine.get(name), toolstack.get(name)
        if e != t:
            bad.append(f"  {name}: engine {e}, libxl {t}")
    if bad:
        print(f"parameter tables differ ({os.path.relpath(PARAMS_RS, TOP)} vs {patch}):")
        print("\n".join(bad))
        return 1
    print(f"toolstack parameter table: {len(engine)} parameters, same names and ranges as the engine")
    return 0


if __name__ == "__main__":
    sys.exit(main())
