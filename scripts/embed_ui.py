#!/usr/bin/env python3
"""Embeds the built web UI (Vite's output folder) into a C++ source file.

Usage: embed_ui.py DIST_DIR OUT.cc
Every file under DIST_DIR becomes an entry of plinth::server::internal::ui_assets(), keyed by
its path from DIST_DIR with a leading '/'.
"""
import mimetypes
import os
import sys

TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".svg": "image/svg+xml", ".json": "application/json",
         ".woff2": "font/woff2", ".png": "image/png", ".ico": "image/x-icon"}


def main(dist, out):
    entries = []
    for root, _, files in os.walk(dist):
        for name in sorted(files):
            full = os.path.join(root, name)
            rel = "/" + os.path.relpath(full, dist).replace(os.sep, "/")
            ext = os.path.splitext(name)[1]
            ctype = TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"
            with open(full, "rb") as f:
                entries.append((rel, ctype, f.read()))
    if not any(e[0] == "/index.html" for e in entries):
        sys.exit(f"embed_ui.py: {dist} has no index.html; the Vite build failed")
    lines = ['#include "server/internal/ui_assets.h"', "", "namespace plinth::server::internal {",
             "namespace {"]
    for i, (_, _, data) in enumerate(entries):
        body = ",".join(str(b) for b in data)
        lines.append(f"const unsigned char kData{i}[] = {{{body}}};")
    lines.append("const UiAsset kAssets[] = {")
    for i, (path, ctype, data) in enumerate(entries):
        lines.append(f'    {{"{path}", "{ctype}", {{reinterpret_cast<const char*>(kData{i}), {len(data)}}}}},')
    lines += ["};", "}  // namespace", "",
              "std::span<const UiAsset> ui_assets() { return kAssets; }", "",
              "}  // namespace plinth::server::internal", ""]
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines))
    os.replace(tmp, out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
