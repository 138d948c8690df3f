// Asking a read model one query directly, as its projector would, and getting the answer as a
// client would: the result code and, when Ok, a finished and verified Response.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/read/read_model.h"
#include "engine/wire/protocol.h"

namespace tally::testing {

struct ModelReply {
  ResultCode code = ResultCode::Ok;
  std::string message;
  std::vector<uint8_t> bytes;  // the Response, when code is Ok

  // The result body, or null (and a test failure) for an error or another result type.
  template <typename Result>
  const Result* as() const {
    if (code != ResultCode::Ok) {
      ADD_FAILURE() << "an error, not a result: " << result_code_name(code) << ": " << message;
      return nullptr;
    }
    const auto* result = flatbuffers::GetRoot<protocol::Response>(bytes.data())->body_as<Result>();
    EXPECT_NE(result, nullptr) << "the answer is another result type";
    return result;
  }
};

// Finishes the Request around `body` (built in `request_builder`) and asks `model`.
ModelReply ask_model(read::ReadModel& model, protocol::RequestBody type,
                     flatbuffers::Offset<void> body,
                     flatbuffers::FlatBufferBuilder& request_builder);

// `make_body(builder)` builds the query table.
template <typename MakeBody>
ModelReply ask_model(read::ReadModel& model, protocol::RequestBody type, MakeBody make_body) {
  flatbuffers::FlatBufferBuilder request_builder;
  const auto body = make_body(request_builder);
  return ask_model(model, type, body.Union(), request_builder);
}

}  // namespace tally::testing
