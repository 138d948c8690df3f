#include "engine/wire/fingerprint.h"

#include <algorithm>
#include <string_view>
#include <type_traits>

#include "engine/base/hashing.h"

namespace tally {

uint64_t command_fingerprint(const Command& command, const CommandBatch& batch) {
  // The fixed fields (with the strings' lengths, so that skipping empty strings below stays
  // unambiguous) hashed at once, then each non-empty string chained through the seed: no
  // copying, which for a few short strings costs more than hashing them.
  struct FixedFields {
    uint64_t amount;
    uint64_t overdraft_limit;
    uint64_t transaction_low;
    uint64_t transaction_high;
    uint64_t expected_version;
    uint64_t expected_counterparty_version;
    uint32_t batch_size;
    uint8_t lengths[5];
    uint8_t type;
    uint8_t account_type;
    uint8_t flags;
    uint8_t reserved[4];  // explicit, so that no padding byte of unknown value is hashed
  } fixed{};
  static_assert(std::has_unique_object_representations_v<FixedFields>);
  fixed.amount = static_cast<uint64_t>(command.amount);
  fixed.overdraft_limit = static_cast<uint64_t>(command.overdraft_limit);
  fixed.transaction_low = command.transaction_id.low;
  fixed.transaction_high = command.transaction_id.high;
  fixed.expected_version = command.expected_version.value_or(0);
  fixed.expected_counterparty_version = command.expected_counterparty_version.value_or(0);
  fixed.batch_size = static_cast<uint32_t>(batch.commands.size());
  const std::string_view strings[5] = {command.account_id, command.counterparty_id, command.owner,
                                       command.currency, command.reason};
  for (size_t index = 0; index < 5; ++index) {
    fixed.lengths[index] = static_cast<uint8_t>(std::min<size_t>(strings[index].size(), 255));
  }
  fixed.type = static_cast<uint8_t>(command.type);
  fixed.account_type = static_cast<uint8_t>(command.account_type);
  fixed.flags = static_cast<uint8_t>((batch.atomic ? 1 : 0) | (command.expected_version ? 2 : 0) |
                                     (command.expected_counterparty_version ? 4 : 0));
  uint64_t hash = hash_bytes(&fixed, sizeof(fixed));
  for (const std::string_view text : strings) {
    if (!text.empty()) {
      hash = hash_bytes(text.data(), text.size(), hash);
    }
  }
  // Last, and only when given, so that a command without it keeps the fingerprint it had before
  // the field existed (a retry across an upgrade is still recognised). The other strings'
  // lengths are fixed above, so whatever is chained after them is this text.
  if (!command.transaction_text.empty()) {
    hash = hash_bytes(command.transaction_text.data(), command.transaction_text.size(), hash);
  }
  return hash;
}

uint64_t add_to_request_fingerprint(uint64_t so_far, uint64_t command_fingerprint) {
  return hash_bytes(&command_fingerprint, sizeof(command_fingerprint), so_far);
}

uint64_t request_fingerprint(const CommandBatch& batch) {
  uint64_t so_far = kFingerprintNotComputed;
  for (const Command& command : batch.commands) {
    so_far = add_to_request_fingerprint(so_far, command_fingerprint(command, batch));
  }
  return finish_request_fingerprint(so_far);
}

}  // namespace tally
