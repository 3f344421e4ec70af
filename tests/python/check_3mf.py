#!/usr/bin/env python3
"""Load a 3MF file with lib3mf (PyPI `lib3mf`) in strict mode and check its contents.

Usage: check_3mf.py FILE [--triangles N] [--beams N] [--balls N] [--beam0 R1,R2]

Prints a JSON summary (per object: vertices, triangles, beams, balls, ball mode, min length,
first beam radii) and exits non-zero if reading fails or an expectation is not met.
Expectations are totals over all mesh objects.
"""
import argparse
import json
import sys

import lib3mf


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--triangles", type=int)
    ap.add_argument("--beams", type=int)
    ap.add_argument("--balls", type=int)
    ap.add_argument("--beam0", help="expected r1,r2 of the first beam")
    args = ap.parse_args()

    wrapper = lib3mf.get_wrapper()
    model = wrapper.CreateModel()
    reader = model.QueryReader("3mf")
    reader.SetStrictModeActive(True)
    reader.ReadFromFile(args.file)
    warnings = [reader.GetWarning(i) for i in range(reader.GetWarningCount())]

    objects = []
    it = model.GetMeshObjects()
    while it.MoveNext():
        mesh = it.GetCurrentMeshObject()
        lattice = mesh.BeamLattice()
        info = {
            "id": mesh.GetResourceID(),
            "vertices": mesh.GetVertexCount(),
            "triangles": mesh.GetTriangleCount(),
            "beams": lattice.GetBeamCount(),
            "balls": lattice.GetBallCount(),
        }
        if info["beams"]:
            mode, radius = lattice.GetBallOptions()
            beam = lattice.GetBeam(0)
            info.update(
                ballmode=str(mode),
                ballradius=radius,
                minlength=lattice.GetMinLength(),
                beam0=[beam.Indices[0], beam.Indices[1], beam.Radii[0], beam.Radii[1]],
            )
        objects.append(info)
    summary = {"objects": objects, "warnings": [str(w) for w in warnings]}
    print(json.dumps(summary))

    ok = True

    def expect(name, want, got):
        nonlocal ok
        if want is not None and want != got:
            print(f"FAIL: expected {want} {name}, found {got}", file=sys.stderr)
            ok = False

    expect("triangles", args.triangles, sum(o["triangles"] for o in objects))
    expect("beams", args.beams, sum(o["beams"] for o in objects))
    expect("balls", args.balls, sum(o["balls"] for o in objects))
    if args.beam0:
        want = [float(x) for x in args.beam0.split(",")]
        got = next((o["beam0"][2:] for o in objects if o["beams"]), None)
        if got is None or any(abs(a - b) > 1e-9 for a, b in zip(want, got)):
            print(f"FAIL: expected first beam radii {want}, found {got}", file=sys.stderr)
            ok = False
    if warnings:
        print(f"FAIL: lib3mf warnings: {warnings}", file=sys.stderr)
        ok = False
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
