#!/usr/bin/env python3
"""Open an STL or 3MF file with PrusaSlicer (Debian's `prusa-slicer`) and check what it reports.

Usage: check_slicer.py FILE [--facets N] [--gcode OUT.gcode]

Runs `prusa-slicer --info FILE` and requires that it loads the file, reports `manifold = yes`
and, with --facets, `number_of_facets = N`. With --gcode it then slices the file with the
default printer profile on a 2-layer raft with supports (`prusa-slicer --export-gcode
--raft-layers 2 --support-material --output OUT FILE`: a lattice touches the bed only at the
caps of its lowest nodes, too small for a first layer of their own, so it is printed on a raft
as in practice) and requires a non-empty G-code file. Prints a JSON summary (the key = value lines of --info) and exits
non-zero if anything fails.

PrusaSlicer is a GUI program; --info and --export-gcode need no display, but Qt/GTK may look
for one, so QT_QPA_PLATFORM=offscreen is set and DISPLAY is removed.
"""
import argparse
import json
import os
import subprocess
import sys


def run(args, env):
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)


def parse_info(text):
    info = {}
    for line in text.splitlines():
        if " = " in line:
            key, value = line.split(" = ", 1)
            info[key.strip()] = value.strip()
    return info


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--facets", type=int)
    ap.add_argument("--gcode")
    args = ap.parse_args()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("DISPLAY", None)

    out = run(["prusa-slicer", "--info", args.file], env)
    info = parse_info(out.stdout)
    print(json.dumps({"file": args.file, "returncode": out.returncode, "info": info}))
    ok = True

    def fail(msg):
        nonlocal ok
        print(f"FAIL: {msg}", file=sys.stderr)
        ok = False

    if out.returncode != 0 or "Loading of a model file failed" in out.stdout + out.stderr:
        fail(f"prusa-slicer --info exited {out.returncode}: {out.stdout}{out.stderr}")
    if info.get("manifold") != "yes":
        fail(f"expected manifold = yes, found {info.get('manifold')}")
    if args.facets is not None and info.get("number_of_facets") != str(args.facets):
        fail(f"expected {args.facets} facets, found {info.get('number_of_facets')}")
    if ok and args.gcode:
        g = run(
            [
                "prusa-slicer",
                "--export-gcode",
                "--raft-layers",
                "2",
                "--support-material",
                "--output",
                args.gcode,
                args.file,
            ],
            env,
        )
        size = os.path.getsize(args.gcode) if os.path.exists(args.gcode) else 0
        print(json.dumps({"gcode": args.gcode, "returncode": g.returncode, "bytes": size}))
        if g.returncode != 0 or size == 0:
            fail(f"prusa-slicer --export-gcode exited {g.returncode}: {g.stdout}{g.stderr}")
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
