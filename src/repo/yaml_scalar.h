#pragma once

#include <string>

namespace plinth::repo {

// Strings as ruamel.yaml, DVC's YAML writer, emits them in block style (the layout of `.dvc`
// files, dvc.yaml, dvc.lock and run-cache entries), so that Plinth writes the same bytes:
// - plain when the text reads back as the same string under YAML 1.2 (ruamel's resolver:
//   `yes` and `n` stay plain, `'1_000'`, `'0755'`, `'true'` and `'null'` are quoted);
// - else single-quoted, or double-quoted with escapes when the text holds a `'`, a line break
//   or a character that has to be escaped;
// - folded at ruamel's 80-column width: at a space once the line is past the width, as
//   ruamel's emitter does it (a plain line can end in a space; a double-quoted one in `\`).

// A value. `column` is where the scalar's first character goes (after "key: " or "- "), and
// `indent` the column continuation lines start at (the key's or the dash's column + 2).
std::string yaml_scalar(const std::string& text, int column, int indent);

// A mapping key: the same choice of style, never folded.
std::string yaml_key(const std::string& text);

// The number of characters (Unicode code points) in UTF-8 text: how ruamel counts columns.
int yaml_width(const std::string& text);

}  // namespace plinth::repo
