// Fuzz target: decode_event_payload (engine/wire/event_codec.h), the journal's encoding of an
// event, on arbitrary bytes. Input: the event type (from the record header, one byte), then the
// payload. Checked: whatever decodes encodes within kEventPayloadBytesMax, and that encoding
// decodes to an event that encodes to the same bytes (the decoder kept every field it accepted).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "engine/wire/event_codec.h"
#include "fuzz/fuzz_check.h"

namespace {

tally::Outcome header_fields(uint8_t type) {
  tally::Outcome event;
  event.sequence = 42;
  event.timestamp_ns = 1'700'000'000'000'000'000;
  event.type = static_cast<tally::EventType>(type);
  return event;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  tally::Outcome event = header_fields(data[0]);
  if (!tally::decode_event_payload({data + 1, size - 1}, event).is_ok()) {
    return 0;
  }
  std::array<uint8_t, tally::kEventPayloadBytesMax> first{};
  const size_t first_bytes = tally::encode_event_payload(event, first);
  FUZZ_CHECK(first_bytes <= tally::kEventPayloadBytesMax);

  tally::Outcome again = header_fields(data[0]);
  FUZZ_CHECK(tally::decode_event_payload({first.data(), first_bytes}, again).is_ok());
  std::array<uint8_t, tally::kEventPayloadBytesMax> second{};
  const size_t second_bytes = tally::encode_event_payload(again, second);
  FUZZ_CHECK(second_bytes == first_bytes);
  FUZZ_CHECK(std::memcmp(first.data(), second.data(), first_bytes) == 0);
  return 0;
}
