#!/usr/bin/env python3
"""Read a STEP file with OpenCASCADE (PyPI `cadquery-ocp-novtk`) and check its solids.

Usage: check_step.py FILE [--solids N] [--volume V]

Transfers all roots with STEPControl_Reader, counts solids, runs BRepCheck_Analyzer on each
and computes its volume (must be > 0); with --volume, the summed volume of the solids must
match V (mm³) to a relative 1e-6. Prints a JSON summary; exits non-zero on failure.
"""
import argparse
import json
import sys

from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepGProp import BRepGProp
from OCP.GProp import GProp_GProps
from OCP.IFSelect import IFSelect_RetDone
from OCP.STEPControl import STEPControl_Reader
from OCP.TopAbs import TopAbs_SOLID
from OCP.TopExp import TopExp_Explorer
from OCP.TopoDS import TopoDS

# The static downcast is `Solid_s` in older OCP releases and `Solid` in newer ones.
TO_SOLID = getattr(TopoDS, "Solid_s", None) or TopoDS.Solid


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--solids", type=int)
    ap.add_argument("--volume", type=float)
    args = ap.parse_args()

    reader = STEPControl_Reader()
    status = reader.ReadFile(args.file)
    if status != IFSelect_RetDone:
        print(f"FAIL: STEPControl_Reader.ReadFile returned {status}", file=sys.stderr)
        return 1
    reader.TransferRoots()
    shape = reader.OneShape()
    solids, invalid, volumes = 0, 0, []
    exp = TopExp_Explorer(shape, TopAbs_SOLID)
    while exp.More():
        solid = TO_SOLID(exp.Current())
        solids += 1
        if not BRepCheck_Analyzer(solid).IsValid():
            invalid += 1
        props = GProp_GProps()
        BRepGProp.VolumeProperties_s(solid, props)
        volumes.append(props.Mass())
        exp.Next()
    summary = {
        "solids": solids,
        "invalid": invalid,
        "min_volume": min(volumes) if volumes else None,
        "total_volume": sum(volumes),
    }
    print(json.dumps(summary))
    ok = invalid == 0 and solids > 0 and min(volumes) > 0
    if args.solids is not None and solids != args.solids:
        print(f"FAIL: expected {args.solids} solids, found {solids}", file=sys.stderr)
        ok = False
    if args.volume is not None and abs(sum(volumes) - args.volume) > 1e-6 * abs(args.volume):
        print(f"FAIL: expected total volume {args.volume}, found {sum(volumes)}", file=sys.stderr)
        ok = False
    if invalid:
        print(f"FAIL: {invalid} invalid solids", file=sys.stderr)
    if volumes and min(volumes) <= 0:
        print("FAIL: a solid has non-positive volume (inside out)", file=sys.stderr)
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
