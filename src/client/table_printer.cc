// Table printing as in cli-runtime's printers/tableprinter.go, with text/tabwriter's layout.
#include "client/table_printer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

namespace skiff::client {
namespace {

constexpr size_t kMinWidth = 6;
constexpr size_t kPadding = 3;

// tabwriter measures cells in runes.
size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) {
      ++n;
    }
  }
  return n;
}

std::string Upper(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return s;
}

bool Visible(const Json& column, const TablePrintOptions& options) {
  int64_t priority = 0;
  if (column.is_object() && column.contains("priority") && column["priority"].is_number()) {
    priority = column["priority"].get<int64_t>();
  }
  return options.wide || priority == 0;
}

const Json& Columns(const Json& table) {
  static const Json kEmpty = Json::array();
  if (table.is_object() && table.contains("columnDefinitions") &&
      table["columnDefinitions"].is_array()) {
    return table["columnDefinitions"];
  }
  return kEmpty;
}

const Json* RowMetadata(const Json& row) {
  if (!row.is_object() || !row.contains("object") || !row["object"].is_object()) {
    return nullptr;
  }
  const Json& obj = row["object"];
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) {
    return nullptr;
  }
  return &obj["metadata"];
}

struct TabCell {
  std::string_view text;
  size_t width;
};
using TabLine = std::vector<TabCell>;

void WriteTabLines(const std::vector<TabLine>& lines, size_t line0, size_t line1,
                   const std::vector<size_t>& widths, std::string* out) {
  for (size_t i = line0; i < line1; ++i) {
    const TabLine& line = lines[i];
    for (size_t j = 0; j < line.size(); ++j) {
      out->append(line[j].text);
      if (j < widths.size() && widths[j] > line[j].width) {
        out->append(widths[j] - line[j].width, ' ');
      }
    }
    out->push_back('\n');
  }
}

// text/tabwriter's Writer.format: recursively sizes column blocks left to right.
void FormatTabBlock(const std::vector<TabLine>& lines, size_t line0, size_t line1,
                    std::vector<size_t>& widths, size_t min_width, size_t padding,
                    std::string* out) {
  size_t column = widths.size();
  for (size_t cur = line0; cur < line1; ++cur) {
    if (column + 1 >= lines[cur].size()) {
      continue;
    }
    WriteTabLines(lines, line0, cur, widths, out);
    line0 = cur;
    size_t width = min_width;
    for (; cur < line1; ++cur) {
      if (column + 1 >= lines[cur].size()) {
        break;
      }
      width = std::max(width, lines[cur][column].width + padding);
    }
    widths.push_back(width);
    FormatTabBlock(lines, line0, cur, widths, min_width, padding, out);
    widths.pop_back();
    line0 = cur;
    if (cur == line1) {
      break;
    }
  }
  WriteTabLines(lines, line0, line1, widths, out);
}

}  // namespace

std::string TabAlign(std::string_view text, size_t min_width, size_t padding) {
  std::vector<TabLine> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    TabLine cells;
    size_t cell_start = 0;
    while (true) {
      size_t tab = line.find('\t', cell_start);
      std::string_view cell = line.substr(
          cell_start, tab == std::string_view::npos ? std::string_view::npos : tab - cell_start);
      cells.push_back({cell, DisplayWidth(std::string(cell))});
      if (tab == std::string_view::npos) {
        break;
      }
      cell_start = tab + 1;
    }
    lines.push_back(std::move(cells));
    if (nl == std::string_view::npos) {
      break;
    }
    start = nl + 1;
  }
  std::string out;
  std::vector<size_t> widths;
  FormatTabBlock(lines, 0, lines.size(), widths, min_width, padding, &out);
  return out;
}

std::string FormatCell(const Json& cell) {
  if (cell.is_null()) {
    return "";
  }
  if (cell.is_string()) {
    std::string s = cell.get<std::string>();
    size_t brk = s.find_first_of("\f\n\r");
    if (brk != std::string::npos) {
      return s.substr(0, brk) + "...";
    }
    return s;
  }
  if (cell.is_boolean()) {
    return cell.get<bool>() ? "true" : "false";
  }
  if (cell.is_number_float()) {
    double d = cell.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
      return std::to_string(static_cast<int64_t>(d));
    }
  }
  return DumpJson(cell);
}

std::string FormatLabels(const Json& labels) {
  if (!labels.is_object() || labels.empty()) {
    return "<none>";
  }
  std::string out;
  for (auto it = labels.begin(); it != labels.end(); ++it) {  // nlohmann objects iterate sorted
    if (!out.empty()) {
      out += ',';
    }
    out += it.key() + "=" + (it.value().is_string() ? it.value().get<std::string>() : "");
  }
  return out;
}

TextRow TableHeader(const Json& table, const TablePrintOptions& options) {
  TextRow header;
  if (options.with_namespace) {
    header.push_back("NAMESPACE");
  }
  for (const Json& column : Columns(table)) {
    if (Visible(column, options)) {
      header.push_back(Upper(column.value("name", "")));
    }
  }
  if (options.show_labels) {
    header.push_back("LABELS");
  }
  return header;
}

std::vector<TextRow> TableBody(const Json& table, const TablePrintOptions& options) {
  std::vector<TextRow> out;
  if (!table.is_object() || !table.contains("rows") || !table["rows"].is_array()) {
    return out;
  }
  const Json& columns = Columns(table);
  for (const Json& row : table["rows"]) {
    const Json* meta = RowMetadata(row);
    TextRow text;
    if (options.with_namespace) {
      text.push_back(meta ? meta->value("namespace", "") : "");
    }
    const Json& cells = row.is_object() && row.contains("cells") && row["cells"].is_array()
                            ? row["cells"]
                            : Json::array();
    for (size_t i = 0; i < cells.size() && i < columns.size(); ++i) {
      if (!Visible(columns[i], options)) {
        continue;
      }
      std::string cell = FormatCell(cells[i]);
      if (!options.kind_prefix.empty() && columns[i].value("format", "") == "name" &&
          columns[i].value("type", "") == "string") {
        cell = options.kind_prefix + "/" + cell;
      }
      text.push_back(std::move(cell));
    }
    if (options.show_labels) {
      text.push_back(meta && meta->contains("labels") ? FormatLabels((*meta)["labels"]) : "<none>");
    }
    out.push_back(std::move(text));
  }
  return out;
}

Json TableFromObjects(const Json& object_or_list, SystemTime now) {
  Json table = {
      {"kind", "Table"},
      {"apiVersion", "meta.k8s.io/v1"},
      {"metadata", Json::object()},
      {"columnDefinitions",
       Json::array({{{"name", "Name"}, {"type", "string"}, {"format", "name"}, {"priority", 0}},
                    {{"name", "Age"}, {"type", "date"}, {"format", ""}, {"priority", 0}}})},
      {"rows", Json::array()}};
  auto add = [&](const Json& obj) {
    if (!obj.is_object()) {
      return;
    }
    Json meta = obj.value("metadata", Json::object());
    std::string age = "<unknown>";
    if (meta.contains("creationTimestamp") && meta["creationTimestamp"].is_string()) {
      auto created = ParseRfc3339(meta["creationTimestamp"].get<std::string>());
      if (created.ok()) {
        age = HumanDuration(now - *created);
      }
    }
    table["rows"].push_back({{"cells", Json::array({meta.value("name", ""), age})},
                             {"object", {{"kind", "PartialObjectMetadata"}, {"metadata", meta}}}});
  };
  if (object_or_list.is_object() && object_or_list.contains("items") &&
      object_or_list["items"].is_array()) {
    for (const Json& item : object_or_list["items"]) {
      add(item);
    }
    if (object_or_list.contains("metadata")) {
      table["metadata"] = object_or_list["metadata"];
    }
  } else {
    add(object_or_list);
  }
  return table;
}

std::string TabWriter::Format(const std::vector<TextRow>& rows) {
  for (const TextRow& row : rows) {
    // The last cell of a line is not tab-terminated, so it belongs to no column.
    for (size_t i = 0; i + 1 < row.size(); ++i) {
      if (widths_.size() <= i) {
        widths_.resize(i + 1, 0);
      }
      widths_[i] = std::max({widths_[i], DisplayWidth(row[i]) + kPadding, kMinWidth});
    }
  }
  std::string out;
  for (const TextRow& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) {
        out.append(widths_[i] - DisplayWidth(row[i]), ' ');
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace skiff::client
