// kubectl's human-readable output: turns server-side Tables (meta.k8s.io/v1) into aligned text
// exactly as `kubectl get` lays it out (upper-case headers, columns padded to the widest cell
// plus 3 spaces, minimum width 6, last column unpadded).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/time.h"

namespace skiff::client {

struct TablePrintOptions {
  bool wide = false;            // include columns with priority > 0
  bool with_namespace = false;  // prepend NAMESPACE (from row.object.metadata.namespace)
  bool show_labels = false;     // append LABELS
  bool no_headers = false;
  std::string kind_prefix{};  // non-empty: NAME cells print as "<kind_prefix>/<name>"
};

using TextRow = std::vector<std::string>;

// The header row (upper-cased) for `table`'s visible columns, decorated per `options`.
TextRow TableHeader(const Json& table, const TablePrintOptions& options);
// One text row per table row, decorated per `options`.
std::vector<TextRow> TableBody(const Json& table, const TablePrintOptions& options);

// kubectl's rendering of one cell: strings verbatim (cut at the first line break, then "..."),
// numbers and booleans as Go's fmt prints them, null as "".
std::string FormatCell(const Json& cell);
// "a=1,b=2" (sorted keys) or "<none>": kubectl's labels.FormatLabels.
std::string FormatLabels(const Json& labels);

// Builds a Table from a plain object or list when the server did not return one: NAME and AGE
// columns from metadata, as kubectl's fallback printer does.
Json TableFromObjects(const Json& object_or_list, SystemTime now);

// Go's text/tabwriter (pad char ' ', no flags) over `text`: '\t' ends a cell, and each column
// block (consecutive lines that have a cell in that column) is padded to its widest cell plus
// `padding`, at least `min_width`. kubectl describe uses min width 0, padding 2.
std::string TabAlign(std::string_view text, size_t min_width, size_t padding);

// Aligns rows like Go's text/tabwriter with kubectl's settings (minwidth 6, padding 3, spaces).
// Remembers column widths across calls, so rows printed later during `get -w` stay aligned with
// earlier ones (tabwriter.RememberWidths). Not thread-safe.
class TabWriter {
 public:
  // Returns the rows as text, one '\n'-terminated line each.
  std::string Format(const std::vector<TextRow>& rows);
  void Reset() { widths_.clear(); }

 private:
  std::vector<size_t> widths_{};
};

}  // namespace skiff::client
