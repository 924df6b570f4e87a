"""Which series covers which release, for scripts/patches-check.sh (bash reads no YAML).

  python -m patchtools.lookup covering VERSION   # the series folder listing VERSION (exit 3: none)
  python -m patchtools.lookup releases DIR       # the releases DIR's patchset.yaml lists, one a line
  python -m patchtools.lookup series             # every series folder under patches/, oldest first
"""

import sys
from pathlib import Path

from patchtools.common import ToolError, all_series, covering_series, series_releases, version_of


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if len(argv) == 2 and argv[0] == "covering":
            known = all_series()
            folder = covering_series(version_of(argv[1]), known)
            if folder is None:
                listed = ", ".join(f"{p.name} ({', '.join(v)})" for p, v in known.items()) or "none"
                print(f"no series lists sglang {argv[1]} in its releases:; series: {listed}", file=sys.stderr)
                return 3
            print(folder)
        elif len(argv) == 2 and argv[0] == "releases":
            print("\n".join(series_releases(Path(argv[1]))))
        elif argv == ["series"]:
            print("\n".join(str(p) for p in all_series()))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except ToolError as e:
        print(f"patchtools.lookup: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
