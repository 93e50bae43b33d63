"""The dashboard bundle's size: each built file raw and gzipped (level 9), and what a page loads.

Run: `make bundle && .venv/bin/python bench/web_bundle.py`. Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import gzip

from segmentr.web import Bundle

# the bundle entries each kind of page loads (theme.js, style.css and app.js are on every page)
PAGES = {
    "any page": ["theme.js", "style.css", "app.js"],
    "a page with the editor": ["theme.js", "style.css", "app.js", "editor.js"],
    "a page with a chart": ["theme.js", "style.css", "app.js", "charts.js"],
}


def main() -> None:
    bundle = Bundle()
    manifest = bundle.manifest()
    if not manifest:
        raise SystemExit("the bundle is not built: run `make bundle`")
    sizes: dict[str, tuple[int, int]] = {}
    for logical, file in sorted(manifest.items()):
        data = (bundle.directory / file).read_bytes()
        sizes[logical] = (len(data), len(gzip.compress(data, compresslevel=9)))
    print("| file | raw | gzipped |\n|---|---|---|")
    for logical, (raw, packed) in sizes.items():
        print(f"| `{logical}` | {raw / 1024:.1f} KB | {packed / 1024:.1f} KB |")
    scripts = [path for path in bundle.files() if path.suffix == ".js"]
    total = sum(len(gzip.compress(path.read_bytes(), compresslevel=9)) for path in scripts)
    print(f"| all JavaScript | | **{total / 1024:.1f} KB** (budget 250 KB) |")
    print("\n| page | transferred (gzipped) |\n|---|---|")
    for page, entries in PAGES.items():
        print(f"| {page} | {sum(sizes[name][1] for name in entries) / 1024:.1f} KB |")


if __name__ == "__main__":
    main()
