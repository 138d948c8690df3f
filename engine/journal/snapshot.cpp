#include "engine/journal/snapshot.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <optional>

#include "engine/base/hashing.h"
#include "engine/base/invariant.h"

namespace tally::journal {
namespace {

constexpr std::string_view kSnapshotSuffix = ".snapshot";
constexpr std::string_view kTemporarySuffix = ".snapshot.tmp";

class ByteWriter {
 public:
  template <typename Value>
  void put(const Value& value) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(&value);
    bytes_.insert(bytes_.end(), bytes, bytes + sizeof(Value));
  }
  void put_bytes(std::string_view text) { bytes_.insert(bytes_.end(), text.begin(), text.end()); }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  template <typename Value>
  bool take(Value& value) {
    if (bytes_.size() - position_ < sizeof(Value))
      return false;
    std::memcpy(&value, bytes_.data() + position_, sizeof(Value));
    position_ += sizeof(Value);
    return true;
  }
  bool take_text(size_t length, std::string_view& text) {
    if (bytes_.size() - position_ < length)
      return false;
    text = {reinterpret_cast<const char*>(bytes_.data() + position_), length};
    position_ += length;
    return true;
  }
  bool at_end() const { return position_ == bytes_.size(); }

 private:
  std::span<const uint8_t> bytes_;
  size_t position_ = 0;
};

void put_account(ByteWriter& writer, std::string_view id, const Account& account) {
  writer.put(static_cast<uint8_t>(id.size()));
  writer.put_bytes(id);
  writer.put(account.balance);
  writer.put(account.overdraft_limit);
  writer.put(account.version);
  writer.put(account.currency.packed());
  writer.put(static_cast<uint8_t>(account.status));
  writer.put(static_cast<uint8_t>(account.type));
}

struct ParsedAccount {
  std::string_view id;
  uint64_t hash = 0;
  Account account;
};

bool parse_account(ByteReader& reader, ParsedAccount& parsed) {
  uint8_t id_length = 0;
  uint32_t currency = 0;
  uint8_t status = 0;
  uint8_t type = 0;
  Account& account = parsed.account;
  if (!reader.take(id_length) || id_length == 0 || id_length > kAccountIdBytesMax ||
      !reader.take_text(id_length, parsed.id) || !reader.take(account.balance) ||
      !reader.take(account.overdraft_limit) || !reader.take(account.version) ||
      !reader.take(currency) || !reader.take(status) || !reader.take(type)) {
    return false;
  }
  // Values are checked against the ledger's rules by restore_account, in one place.
  account.currency = CurrencyCode::from_packed(currency);
  account.status = static_cast<AccountStatus>(status);
  account.type = static_cast<AccountType>(type);
  parsed.hash = AccountDirectory::hash_of(parsed.id);
  return true;
}

// Accounts in groups: parse a group and prefetch its table slots, then insert it, so the
// cache misses of a group overlap (loading ten million accounts is mostly such misses).
// kCorruption for a record that cannot be read, or an account listed twice (naming it).
Status take_accounts(ByteReader& reader, Ledger& ledger, uint64_t count) {
  constexpr size_t kGroup = 32;
  ParsedAccount group[kGroup];
  for (uint64_t done = 0; done < count;) {
    const size_t size = static_cast<size_t>(std::min<uint64_t>(kGroup, count - done));
    for (size_t index = 0; index < size; ++index) {
      if (!parse_account(reader, group[index]))
        return Status::corruption("snapshot corrupt: account record " +
                                  std::to_string(done + index) + " cut short");
      ledger.prefetch_restore(group[index].hash);
    }
    for (size_t index = 0; index < size; ++index) {
      const ParsedAccount& parsed = group[index];
      if (Status status = ledger.restore_account(parsed.id, parsed.hash, parsed.account);
          !status.is_ok()) {
        return status.with_context("snapshot corrupt");
      }
    }
    done += size;
  }
  return Status::ok();
}

// One remembered request; `previous_last` is the last sequence of the request before it
// (oldest first, so each starts after it).
Status take_request(ByteReader& reader, Ledger& ledger, std::vector<RememberedOutcome>& outcomes,
                    uint64_t& previous_last) {
  Id128 request_id;
  uint64_t fingerprint = 0;
  uint32_t count = 0;
  if (!reader.take(request_id) || !reader.take(fingerprint) || !reader.take(count) || count == 0 ||
      count > kBatchCommandsMax) {
    return Status::corruption("remembered request cut short or with a bad count");
  }
  outcomes.resize(count);
  for (RememberedOutcome& outcome : outcomes) {
    if (!reader.take(outcome))
      return Status::corruption("remembered request cut short");
  }
  if (Status status = ledger.restore_request(request_id, fingerprint, outcomes); !status.is_ok())
    return status;
  if (outcomes.front().sequence <= previous_last) {
    return Status::corruption("remembered requests out of order: one from sequence " +
                              std::to_string(outcomes.front().sequence) + " after one to " +
                              std::to_string(previous_last));
  }
  previous_last = outcomes.back().sequence;
  return Status::ok();
}

Status corrupt(std::string_view problem) {
  return {StatusCode::kCorruption, "snapshot corrupt: " + std::string(problem)};
}

std::optional<uint64_t> sequence_of(std::string_view name) {
  if (!name.ends_with(kSnapshotSuffix) || name.size() != 20 + kSnapshotSuffix.size()) {
    return std::nullopt;
  }
  uint64_t sequence = 0;
  for (const char digit : name.substr(0, 20)) {
    if (digit < '0' || digit > '9')
      return std::nullopt;
    sequence = sequence * 10 + static_cast<uint64_t>(digit - '0');
  }
  return sequence;
}

}  // namespace

std::string snapshot_name(uint64_t sequence) {
  char digits[21];
  std::snprintf(digits, sizeof(digits), "%020llu", static_cast<unsigned long long>(sequence));
  return std::string(digits) + std::string(kSnapshotSuffix);
}

std::vector<uint8_t> encode_snapshot(const Ledger& ledger) {
  ByteWriter body;
  // Accounts are about 45 bytes each, transaction ids 16, outcomes 32: reserve, do not regrow.
  body.bytes().reserve(ledger.accounts().size() * 48 + ledger.transactions().size() * 16 +
                       ledger.window().command_count() * 32 + ledger.window().request_count() * 28);
  ledger.accounts().for_each(
      [&](std::string_view id, const Account& account) { put_account(body, id, account); });
  ledger.transactions().for_each([&](const Id128& id) { body.put(id); });
  ledger.window().for_each_request([&](const Id128& id, const RememberedRequest& request) {
    body.put(id);
    body.put(request.fingerprint);
    body.put(request.count);
    for (uint32_t index = 0; index < request.count; ++index) {
      body.put(ledger.window().outcome(request, index));
    }
  });
  SnapshotHeader header{};
  header.magic = kSnapshotMagic;
  header.format_version = kSnapshotFormatVersion;
  header.header_bytes = sizeof(SnapshotHeader);
  header.sequence = ledger.next_sequence() - 1;
  header.timestamp_ns = ledger.timestamp_ns();
  header.account_count = ledger.accounts().size();
  header.transaction_count = ledger.transactions().size();
  header.request_count = ledger.window().request_count();
  header.body_bytes = body.bytes().size();
  header.body_checksum = hash_bytes(body.bytes().data(), body.bytes().size());
  header.header_checksum = hash_bytes(&header, offsetof(SnapshotHeader, header_checksum));
  ByteWriter file;
  file.put(header);
  file.bytes().insert(file.bytes().end(), body.bytes().begin(), body.bytes().end());
  return std::move(file.bytes());
}

Status decode_snapshot(std::span<const uint8_t> bytes, Ledger& ledger) {
  TALLY_ASSERT(ledger.next_sequence() == 1 && ledger.accounts().size() == 0);
  ByteReader reader(bytes);
  SnapshotHeader header;
  if (!reader.take(header) || header.magic != kSnapshotMagic) {
    return corrupt("not a Tally snapshot");
  }
  if (header.format_version != kSnapshotFormatVersion ||
      header.header_bytes != sizeof(SnapshotHeader) ||
      header.header_checksum != hash_bytes(&header, offsetof(SnapshotHeader, header_checksum))) {
    return corrupt("header version or checksum");
  }
  const std::span<const uint8_t> body = bytes.subspan(sizeof(SnapshotHeader));
  if (body.size() != header.body_bytes ||
      hash_bytes(body.data(), body.size()) != header.body_checksum) {
    return corrupt("body length or checksum");
  }
  // The ledger's clock starts at 0 and never goes back; each account, accepted transaction id
  // and remembered request took at least one event.
  if (header.sequence == UINT64_MAX || header.timestamp_ns < 0) {
    return corrupt("sequence " + std::to_string(header.sequence) + " or timestamp " +
                   std::to_string(header.timestamp_ns) + " out of range");
  }
  if (header.account_count > header.sequence || header.transaction_count > header.sequence ||
      header.request_count > header.sequence) {
    return corrupt(std::to_string(header.account_count) + " accounts, " +
                   std::to_string(header.transaction_count) + " transaction ids, " +
                   std::to_string(header.request_count) + " requests from only " +
                   std::to_string(header.sequence) + " events");
  }
  if (header.account_count > ledger.limits().accounts_max) {
    return corrupt("more accounts than max_accounts allows");
  }
  if (header.transaction_count > ledger.limits().transaction_ids_max) {
    return corrupt(std::to_string(header.transaction_count) +
                   " transaction ids, more than transaction_ids_max (" +
                   std::to_string(ledger.limits().transaction_ids_max) + ") allows");
  }
  // The position first: the restores check the state against it.
  ledger.restore_position(header.sequence + 1, header.timestamp_ns);
  if (Status status = take_accounts(reader, ledger, header.account_count); !status.is_ok()) {
    return status;
  }
  for (uint64_t index = 0; index < header.transaction_count; ++index) {
    Id128 id;
    if (!reader.take(id))
      return corrupt("transaction id cut short");
    if (Status status = ledger.restore_transaction(id); !status.is_ok())
      return status.with_context("snapshot corrupt");
  }
  std::vector<RememberedOutcome> outcomes;
  uint64_t previous_last = 0;
  for (uint64_t index = 0; index < header.request_count; ++index) {
    if (Status status = take_request(reader, ledger, outcomes, previous_last); !status.is_ok())
      return status.with_context("snapshot corrupt");
  }
  if (!reader.at_end()) {
    return corrupt("trailing bytes");
  }
  return Status::ok();
}

Status write_snapshot(Storage& storage, const std::string& directory, const Ledger& ledger,
                      uint32_t keep) {
  if (ledger.replay_in_progress()) {
    return {StatusCode::kInvalidArgument,
            "snapshot at sequence " + std::to_string(ledger.next_sequence() - 1) +
                " would fall inside a request; take it at the request's last event"};
  }
  const std::vector<uint8_t> bytes = encode_snapshot(ledger);
  const std::string name = snapshot_name(ledger.next_sequence() - 1);
  const std::string temporary =
      directory + "/" + name.substr(0, 20) + std::string(kTemporarySuffix);
  storage.remove(temporary);  // a leftover from a crash mid-write
  if (Status status = storage.write_file(temporary, bytes); !status.is_ok())
    return status;
  if (Status status = storage.rename(temporary, directory + "/" + name); !status.is_ok()) {
    return status;
  }
  if (Status status = storage.sync_directory(directory); !status.is_ok())
    return status;
  std::vector<std::string> names;
  if (Status status = storage.list_directory(directory, names); !status.is_ok())
    return status;
  std::vector<std::string> snapshots;
  std::copy_if(names.begin(), names.end(), std::back_inserter(snapshots),
               [](const std::string& candidate) { return sequence_of(candidate).has_value(); });
  for (size_t index = 0; index + std::max<uint32_t>(keep, 1) < snapshots.size(); ++index) {
    if (Status status = storage.remove(directory + "/" + snapshots[index]); !status.is_ok()) {
      return status;
    }
  }
  return storage.sync_directory(directory);
}

SnapshotLoad load_newest_snapshot(Storage& storage, const std::string& directory,
                                  const LedgerLimits& limits) {
  SnapshotLoad load;
  std::vector<std::string> names;
  if (Status status = storage.list_directory(directory, names);
      !status.is_ok() && status.code() != StatusCode::kNotFound) {
    load.status = status;
    return load;
  }
  for (auto name = names.rbegin(); name != names.rend(); ++name) {
    const std::optional<uint64_t> sequence = sequence_of(*name);
    if (!sequence)
      continue;
    std::vector<uint8_t> bytes;
    if (Status status = storage.read_file(directory + "/" + *name, bytes); !status.is_ok()) {
      load.status = status;
      return load;
    }
    auto ledger = std::make_unique<Ledger>(limits);
    if (Status status = decode_snapshot(bytes, *ledger); !status.is_ok()) {
      load.skipped.push_back(*name + ": " + status.message());
      continue;
    }
    if (ledger->next_sequence() != *sequence + 1) {
      load.skipped.push_back(*name + ": its header names another sequence than its file name");
      continue;
    }
    load.ledger = std::move(ledger);
    load.sequence = *sequence;
    return load;
  }
  load.ledger = std::make_unique<Ledger>(limits);
  return load;
}

}  // namespace tally::journal
