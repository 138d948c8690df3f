#include "support/model_query.h"

namespace tally::testing {

ModelReply ask_model(read::ReadModel& model, protocol::RequestBody type,
                     flatbuffers::Offset<void> body,
                     flatbuffers::FlatBufferBuilder& request_builder) {
  const protocol::Uint128 request_id(1, 2);
  protocol::FinishRequestBuffer(
      request_builder, protocol::CreateRequest(request_builder, 1, &request_id, 0, type, body));
  flatbuffers::Verifier request_verifier(request_builder.GetBufferPointer(),
                                         request_builder.GetSize());
  EXPECT_TRUE(protocol::VerifyRequestBuffer(request_verifier));
  EXPECT_TRUE(model.answers(type));

  flatbuffers::FlatBufferBuilder builder;
  const read::QueryAnswer answer =
      model.answer(*protocol::GetRequest(request_builder.GetBufferPointer()), builder);
  ModelReply reply;
  reply.code = answer.code;
  reply.message = answer.message;
  if (answer.code == ResultCode::Ok) {
    builder.Finish(protocol::CreateResponse(builder, &request_id, answer.body_type, answer.body, 0),
                   protocol::RequestIdentifier());
    reply.bytes.assign(builder.GetBufferPointer(), builder.GetBufferPointer() + builder.GetSize());
    flatbuffers::Verifier verifier(reply.bytes.data(), reply.bytes.size());
    EXPECT_TRUE(verifier.VerifyBuffer<protocol::Response>(protocol::RequestIdentifier()));
  }
  return reply;
}

}  // namespace tally::testing
