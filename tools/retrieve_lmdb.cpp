// retrieve_lmdb: shows what a Datum LMDB holds (entries, summary) and writes its
// images back as PNG files. Works on databases made by Caffe as well as by us.
#include <iostream>
#include <string>

#include "data/lmdb_inspect.hpp"
#include "db/lmdb.hpp"
#include "util/atomic_file.hpp"
#include "util/tool_main.hpp"

namespace {

struct Flags {
  std::string db, format = "table", key, export_dir;
  size_t limit = 0;
  bool summary = false, force = false;
};

void configure(CLI::App& app, Flags& f) {
  app.add_option("DB", f.db, "LMDB folder")->required();
  app.add_option("--format", f.format, "listing format: table, csv or jsonl (default table)")
      ->check(CLI::IsMember({"table", "csv", "jsonl"}));
  app.add_option("--limit", f.limit, "at most this many entries, in key order (0: all)");
  app.add_option("--key", f.key, "only the entry with this key");
  app.add_option("--export", f.export_dir,
                 "write the images as PNG into this new folder, named <key>_label<L>.png");
  app.add_flag("--force", f.force, "with --export: replace the folder if it exists");
  app.add_flag("--summary", f.summary, "print the count, the shapes and a label histogram");
}

int run(const Flags& f) {
  cortado::LmdbReader db(f.db);
  const cortado::EntrySelection sel{f.key, f.limit};
  if (!f.export_dir.empty()) {
    cortado::check_output_spares(f.export_dir, {f.db});
    const size_t n = cortado::export_images(db, sel, f.export_dir, f.force);
    std::cout << "exported " << n << " images to " << f.export_dir << "\n";
  } else if (f.summary) {
    cortado::print_summary(db, sel, std::cout);
  } else {
    cortado::list_entries(db, sel, cortado::parse_list_format(f.format), std::cout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  return cortado::run_tool(
      argc, argv, "retrieve_lmdb",
      "Lists the entries of an LMDB of Caffe Datums (key, label, channels x height x width,\n"
      "raw or encoded, size), summarizes it, or exports its images as PNG files.",
      [&](CLI::App& app) { configure(app, f); }, [&] { return run(f); });
}
