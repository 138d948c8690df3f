#include "tools/tally/projection_printer.h"

#include <cstdio>
#include <string>
#include <vector>

#include "tools/common/json.h"
#include "tools/tally/query_output.h"
#include "tools/tally/text_table.h"

namespace tally::cli {

void print_projections(const net::ProjectionReport& report, bool rebuild_started, bool json) {
  if (json) {
    std::vector<std::string> projectors;
    for (const net::ProjectorReport& projector : report.projectors) {
      tools::JsonObject object;
      object.add_text("name", projector.name)
          .add_unsigned("applied_sequence", projector.applied_sequence)
          .add_unsigned("lag", projector.lag)
          .add_unsigned("events_applied", projector.events_applied)
          .add_unsigned("queries_answered", projector.queries_answered)
          .add_unsigned("queries_waiting", projector.queries_waiting)
          .add_unsigned("queries_timed_out", projector.queries_timed_out)
          .add_unsigned("rebuilds", projector.rebuilds);
      add_bool(object, "failed", projector.failed);
      projectors.push_back(object.str());
    }
    tools::JsonObject object;
    object.add_text("query", rebuild_started ? "projections rebuild" : "projections");
    if (rebuild_started) {
      add_bool(object, "rebuild_started", true);
    }
    object.add_unsigned("durable_sequence", report.durable_sequence)
        .add_raw("projectors", json_array(projectors));
    print_json_line(object);
    return;
  }
  if (rebuild_started) {
    std::printf("rebuild started: every read model is being rebuilt from the journal\n");
  }
  std::printf("durable_sequence %llu\n", static_cast<unsigned long long>(report.durable_sequence));
  using Align = TextTable::Align;
  TextTable table({Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight,
                   Align::kRight, Align::kRight, Align::kRight, Align::kLeft});
  table.add_row({"projector", "applied", "lag", "events", "answered", "waiting", "timed_out",
                 "rebuilds", "state"});
  for (const net::ProjectorReport& projector : report.projectors) {
    table.add_row({projector.name, std::to_string(projector.applied_sequence),
                   std::to_string(projector.lag), std::to_string(projector.events_applied),
                   std::to_string(projector.queries_answered),
                   std::to_string(projector.queries_waiting),
                   std::to_string(projector.queries_timed_out), std::to_string(projector.rebuilds),
                   projector.failed ? "failed (see the server's log)" : "ok"});
  }
  table.print(stdout);
}

}  // namespace tally::cli
