"""`python -m demo_data --scale {tiny,small,province} --seed N --out DIR [--dirt-rate R]`."""

import argparse
import sys
import time
from pathlib import Path

from demo_data import SCALES, generate


def main(argv: list[str] | None = None) -> int:
    """Generate, list what was written and say how long it took."""
    parser = argparse.ArgumentParser(prog="python -m demo_data", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="tiny")
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument("--out", type=Path, required=True, help="drop zone to write (normally data/raw)")
    parser.add_argument(
        "--dirt-rate", type=float, default=0.01, help="share of rows made dirty per file type"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    manifest = generate(args.out, scale=args.scale, seed=args.seed, dirt_rate=args.dirt_rate)
    elapsed = time.perf_counter() - start
    for file, rows in manifest["files"].items():
        print(f"{rows:>10,}  {args.out / file}")
    dirty = sum(manifest["counts"].values())
    print(
        f"{len(manifest['files'])} files, {sum(manifest['files'].values()):,} data rows, {dirty:,} injected problems"
    )
    print(f"{args.scale} scale, seed {args.seed}, dirt rate {args.dirt_rate}: written in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
