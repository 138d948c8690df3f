// Read-model checkpoints (engine/read/checkpoint.h) on their own: a real journal (small
// segments, so positions cross segments), each model fed from it as a projector feeds it, and
// what a model answers after a checkpoint and the journal's tail compared, query by query, with
// what it answers after a full rebuild. Then every way a checkpoint can be bad, each refused
// with a reason, the load falling back to the older checkpoint (whose answers are checked too:
// never a wrong answer) or to none.
#include "engine/read/checkpoint.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/hashing.h"
#include "engine/journal/journal_tail.h"
#include "engine/journal/journal_writer.h"
#include "engine/journal/posix_storage.h"
#include "engine/read/account_model.h"
#include "engine/read/history_model.h"
#include "support/event_script.h"
#include "support/model_query.h"

namespace tally::read {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kDay = 86'400 * kSecond;
constexpr int32_t kFirstDay = 19'700;
constexpr uint64_t kSmallSegment = 4096;
const std::vector<std::string> kAccounts = {"a", "b", "c", "d", "e"};

using Bytes = std::vector<uint8_t>;

Bytes file_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const Bytes& bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

CheckpointHeader header_of(const Bytes& bytes) {
  CheckpointHeader header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  return header;
}

// Recomputes both checksums, as a writer with a bug (or a forger) would: what the model then
// refuses, it refuses for what the bytes say, not for a checksum.
void reseal(Bytes& bytes, const std::function<void(CheckpointHeader&)>& change = {}) {
  CheckpointHeader header = header_of(bytes);
  if (change) {
    change(header);
  }
  header.body_bytes = bytes.size() - sizeof(CheckpointHeader);
  header.body_checksum = hash_bytes(bytes.data() + sizeof(header), header.body_bytes);
  header.header_checksum = hash_bytes(&header, offsetof(CheckpointHeader, header_checksum));
  std::memcpy(bytes.data(), &header, sizeof(header));
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tally-checkpoint-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    data = pattern;
    journal_directory = data + "/journal";
    checkpoints = data + "/checkpoints";
    ASSERT_EQ(::mkdir(journal_directory.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(checkpoints.c_str(), 0755), 0);
    write_script(0);
  }
  void TearDown() override { std::filesystem::remove_all(data); }

  // Every kind of event, over several days, both currencies, to every account, journaled.
  // `time_shift_ns` moves every time: the same sequences, another journal.
  void write_script(int64_t time_shift_ns) {
    testing::EventScript script;
    script.now_ns = int64_t{kFirstDay} * kDay + time_shift_ns;
    script.open("a", "EUR", 1000, "Ada");
    script.open("b", "EUR", 0, "Ada", 500);
    script.open("c", "USD", 250, "Bob");
    script.open("d", "EUR", 40, "Cy");
    for (int round = 0; round < 12; ++round) {
      script.now_ns += kDay / 3;
      script.deposit("a", 100 + round, round % 3 == 0 ? Id128{7, uint64_t(round + 1)} : Id128{});
      script.transfer("a", "b", 30);
      script.withdraw("c", 5);
      script.reject("b", CommandType::Transfer, ResultCode::InsufficientFunds, 1'000'000);
      script.reject("zz", CommandType::Deposit, ResultCode::AccountNotFound, 5);
      if (round == 4) {
        script.freeze("d", "audit");
      }
      if (round == 7) {
        script.unfreeze("d");
        script.open("e", "USD", 9, "Bob");
      }
      if (round == 9) {
        script.withdraw("d", 40);
        script.close("d");
      }
    }
    events = script.events;
    writer.reset();
    std::filesystem::remove_all(journal_directory);
    ASSERT_EQ(::mkdir(journal_directory.c_str(), 0755), 0);
    writer = std::make_unique<journal::JournalWriter>(
        storage, journal::JournalWriterConfig{.directory = journal_directory,
                                              .segment_bytes = kSmallSegment});
    ASSERT_TRUE(writer->open({}, 0).is_ok());
    for (const Outcome& event : events) {
      ASSERT_TRUE(writer->append(event).is_ok());
    }
    ASSERT_TRUE(writer->sync().is_ok());
  }

  std::unique_ptr<ReadModel> make(std::string_view name) {
    if (name == "accounts") {
      return std::make_unique<AccountModel>();
    }
    return std::make_unique<HistoryModel>(storage, journal_directory);
  }

  // Applies the journal's events up to `last` from `from` (the journal's start by default), as
  // a projector does; returns what a checkpoint after them covers.
  CheckpointCoverage feed(ReadModel& model, uint64_t last,
                          const journal::AppendPosition& from = {}) {
    journal::JournalTail tail(storage, journal_directory, from);
    CheckpointCoverage covered;
    while (tail.next_sequence() <= last) {
      const Result<const Outcome*> read = tail.next(last);
      EXPECT_TRUE(read.is_ok() && *read != nullptr);
      if (!read.is_ok() || *read == nullptr) {
        break;
      }
      const Status applied = model.apply(**read, tail.last_position());
      EXPECT_TRUE(applied.is_ok()) << applied.message();
      covered = {(*read)->sequence, (*read)->timestamp_ns, tail.last_position()};
    }
    return covered;
  }
  // The checkpoint of `name` after the journal's first `sequence` events, written to disk.
  Bytes checkpoint(std::string_view name, uint64_t sequence) {
    const std::unique_ptr<ReadModel> model = make(name);
    const CheckpointCoverage covered = feed(*model, sequence);
    Bytes bytes = encode_checkpoint(*model, covered);
    EXPECT_TRUE(write_checkpoint(storage, checkpoints, sequence, bytes, 4).is_ok());
    return bytes;
  }
  std::string path_of(uint64_t sequence) const {
    return checkpoints + "/" + checkpoint_name(sequence);
  }

  // Every query either model answers, over every account, with the answers' bytes.
  std::vector<std::string> answers(ReadModel& model) {
    std::vector<std::string> all;
    const auto keep = [&](const testing::ModelReply& reply) {
      all.push_back(std::to_string(int(reply.code)) + ":" + reply.message + ":" +
                    std::string(reply.bytes.begin(), reply.bytes.end()));
    };
    using protocol::RequestBody;
    for (const std::string& id : kAccounts) {
      keep(ask(model, RequestBody::AccountQuery, [&](auto& builder) {
        return protocol::CreateAccountQuery(builder, builder.CreateString(id));
      }));
      keep(ask(model, RequestBody::AccountSummaryQuery, [&](auto& builder) {
        return protocol::CreateAccountSummaryQuery(builder, builder.CreateString(id));
      }));
      for (const auto order : {protocol::Order::NewestFirst, protocol::Order::OldestFirst}) {
        keep(ask(model, RequestBody::HistoryQuery, [&](auto& builder) {
          return protocol::CreateHistoryQuery(builder, builder.CreateString(id), order, 0, 0, 100,
                                              0);
        }));
      }
      keep(ask(model, RequestBody::EventTrailQuery, [&](auto& builder) {
        return protocol::CreateEventTrailQuery(builder, builder.CreateString(id), 0, 100);
      }));
      keep(ask(model, RequestBody::DailyBalancesQuery, [&](auto& builder) {
        return protocol::CreateDailyBalancesQuery(builder, builder.CreateString(id), kFirstDay,
                                                  kFirstDay + 6);
      }));
      for (const uint64_t at : std::vector<uint64_t>{3, 20, 40}) {
        keep(ask(model, RequestBody::BalanceAsOfQuery, [&](auto& builder) {
          return protocol::CreateBalanceAsOfQuery(builder, builder.CreateString(id), 0, at);
        }));
      }
    }
    for (const char* currency : {"EUR", "USD"}) {
      keep(ask(model, RequestBody::TopAccountsQuery, [&](auto& builder) {
        return protocol::CreateTopAccountsQuery(builder, builder.CreateString(currency), 10);
      }));
    }
    keep(ask(model, RequestBody::ReserveQuery,
             [&](auto& builder) { return protocol::CreateReserveQuery(builder); }));
    keep(ask(model, RequestBody::AccountListQuery,
             [&](auto& builder) { return protocol::CreateAccountListQuery(builder, 0, 0, 100); }));
    keep(ask(model, RequestBody::TransactionSearchQuery, [&](auto& builder) {
      return protocol::CreateTransactionSearchQuery(builder, 0, EventType::Unknown, 0, 0, 0, 0, 100,
                                                    0);
    }));
    return all;
  }
  template <typename MakeBody>
  static testing::ModelReply ask(ReadModel& model, protocol::RequestBody type, MakeBody make_body) {
    if (!model.answers(type)) {
      return {};
    }
    return testing::ask_model(model, type, make_body);
  }

  // What the model answers after loading the newest valid checkpoint and the journal's tail;
  // expects the load to have used the checkpoint at `expected` (0: none).
  // The same load in two steps (as a projector preloads while recovery runs) is checked to load
  // the same checkpoint, skip the same ones for the same reasons and answer the same.
  std::vector<std::string> answers_after_load(std::string_view name, uint64_t expected,
                                              CheckpointLoad* seen = nullptr) {
    // Two steps first: it removes nothing here (every checkpoint is within the journal).
    const std::unique_ptr<ReadModel> preloaded = make(name);
    const CheckpointPreload preload = preload_newest_checkpoint(storage, checkpoints, *preloaded);
    const CheckpointLoad two_steps = finish_checkpoint_load(storage, checkpoints, journal_directory,
                                                            events.size(), *preloaded, preload);
    const std::unique_ptr<ReadModel> model = make(name);
    CheckpointLoad load =
        load_newest_checkpoint(storage, checkpoints, journal_directory, events.size(), *model);
    EXPECT_TRUE(load.status.is_ok()) << load.status.message();
    EXPECT_EQ(load.loaded ? load.covered.sequence : 0, expected);
    EXPECT_EQ(two_steps.loaded ? two_steps.covered.sequence : 0, expected);
    EXPECT_EQ(two_steps.skipped, load.skipped);
    if (load.loaded) {
      EXPECT_EQ(load.resume.next_sequence, expected + 1);
      EXPECT_EQ(two_steps.resume.next_sequence, expected + 1);
      feed(*model, events.size(), load.resume);
      feed(*preloaded, events.size(), two_steps.resume);
    } else {
      feed(*model, events.size());
      feed(*preloaded, events.size());
    }
    EXPECT_EQ(answers(*preloaded), answers(*model));
    if (seen != nullptr) {
      *seen = std::move(load);
    }
    return answers(*model);
  }
  std::vector<std::string> answers_rebuilt(std::string_view name) {
    const std::unique_ptr<ReadModel> model = make(name);
    feed(*model, events.size());
    return answers(*model);
  }
  // Writes an older good checkpoint and a newer one spoilt by `spoil`; the load must skip the
  // newer (saying `reason`) and answer from the older as a rebuild does.
  void expect_refused(std::string_view name, const std::function<void(Bytes&)>& spoil,
                      const std::string& reason) {
    checkpoint(name, kOlder);
    Bytes newer = checkpoint(name, kNewer);
    spoil(newer);
    write_bytes(path_of(kNewer), newer);
    CheckpointLoad load;
    EXPECT_EQ(answers_after_load(name, kOlder, &load), answers_rebuilt(name));
    ASSERT_EQ(load.skipped.size(), 1u);
    EXPECT_NE(load.skipped[0].find(reason), std::string::npos) << load.skipped[0];
  }

  static constexpr uint64_t kOlder = 20;
  static constexpr uint64_t kNewer = 45;

  std::string data;
  std::string journal_directory;
  std::string checkpoints;
  journal::PosixStorage storage;
  std::unique_ptr<journal::JournalWriter> writer;
  std::vector<Outcome> events;
};

class BothModels : public CheckpointTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(BothModels, CheckpointAndTailAnswerAsAFullRebuildDoes) {
  ASSERT_GT(events.size(), 60u);
  const std::vector<std::string> rebuilt = answers_rebuilt(GetParam());
  for (const uint64_t sequence : std::vector<uint64_t>{1, 7, kNewer, events.size()}) {
    checkpoint(GetParam(), sequence);
    EXPECT_EQ(answers_after_load(GetParam(), sequence), rebuilt) << "from " << sequence;
  }
  // The comparison can fail: a model without the last rejection of an account answers
  // otherwise (its summary counts rejections, its trail lists them).
  const std::unique_ptr<ReadModel> short_one = make(GetParam());
  feed(*short_one, events.size() - 2);
  EXPECT_FALSE(answers(*short_one) == rebuilt);
}

TEST_P(BothModels, NoCheckpointMeansAFullReplay) {
  EXPECT_EQ(answers_after_load(GetParam(), 0), answers_rebuilt(GetParam()));
}

TEST_P(BothModels, TruncatedIsRefused) {
  for (const size_t keep : {size_t{0}, sizeof(CheckpointHeader) - 1, sizeof(CheckpointHeader),
                            sizeof(CheckpointHeader) + 9}) {
    std::filesystem::remove_all(checkpoints);
    std::filesystem::create_directory(checkpoints);
    expect_refused(
        GetParam(), [&](Bytes& bytes) { bytes.resize(keep); },
        keep < sizeof(CheckpointHeader) ? "shorter than its header" : "body of");
  }
}

TEST_P(BothModels, TruncatedUnderValidChecksumsIsRefused) {
  expect_refused(
      GetParam(),
      [](Bytes& bytes) {
        bytes.resize(bytes.size() - 3);
        reseal(bytes);
      },
      "cut short");
}

TEST_P(BothModels, BodyChecksumMismatchIsRefused) {
  expect_refused(
      GetParam(), [](Bytes& bytes) { bytes[bytes.size() / 2 + 50] ^= 0x10; }, "body checksum");
}

// The two-step load uses what the preload decoded: the newest file, spoilt on disk after the
// preload (as no one should), is not read again, where a load from scratch would skip it.
TEST_P(BothModels, TheFinishUsesThePreloadedCheckpointWithoutReadingItAgain) {
  checkpoint(GetParam(), kOlder);
  Bytes newer = checkpoint(GetParam(), kNewer);
  const std::unique_ptr<ReadModel> preloaded = make(GetParam());
  const CheckpointPreload preload = preload_newest_checkpoint(storage, checkpoints, *preloaded);
  newer[newer.size() / 2 + 50] ^= 0x10;
  write_bytes(path_of(kNewer), newer);
  const CheckpointLoad two_steps = finish_checkpoint_load(storage, checkpoints, journal_directory,
                                                          events.size(), *preloaded, preload);
  ASSERT_TRUE(two_steps.loaded);
  EXPECT_EQ(two_steps.covered.sequence, kNewer);
  EXPECT_TRUE(two_steps.skipped.empty());
  feed(*preloaded, events.size(), two_steps.resume);
  EXPECT_EQ(answers(*preloaded), answers_rebuilt(GetParam()));
}

TEST_P(BothModels, HeaderChecksumMismatchIsRefused) {
  expect_refused(
      GetParam(), [](Bytes& bytes) { bytes[offsetof(CheckpointHeader, sequence)] ^= 1; },
      "header length or checksum");
}

TEST_P(BothModels, NotACheckpointIsRefused) {
  expect_refused(
      GetParam(), [](Bytes& bytes) { bytes[0] = 'X'; }, "not a Tally read-model");
}

TEST_P(BothModels, OtherFormatVersionIsRefused) {
  expect_refused(
      GetParam(),
      [](Bytes& bytes) { reseal(bytes, [](auto& header) { header.format_version = 2; }); },
      "format version 2");
}

TEST_P(BothModels, OtherStateVersionIsRefused) {
  expect_refused(
      GetParam(),
      [](Bytes& bytes) { reseal(bytes, [](auto& header) { header.state_version = 9; }); },
      "state version 9");
}

TEST_P(BothModels, AnotherModelsCheckpointIsRefused) {
  const std::string other = std::string(GetParam()) == "accounts" ? "history" : "accounts";
  expect_refused(
      GetParam(),
      [&](Bytes& bytes) {
        const std::unique_ptr<ReadModel> model = make(other);
        bytes = encode_checkpoint(*model, feed(*model, kNewer));
      },
      "not of " + std::string(GetParam()));
}

TEST_P(BothModels, TrailingBytesAreRefused) {
  expect_refused(
      GetParam(),
      [](Bytes& bytes) {
        bytes.push_back(0);
        reseal(bytes);
      },
      "bytes after the model's state");
}

TEST_P(BothModels, HeaderThatDisagreesWithTheModelIsRefused) {
  // The model's own last event is the checkpoint's, or it is not the state covered.
  expect_refused(
      GetParam(),
      [](Bytes& bytes) { reseal(bytes, [](auto& header) { header.timestamp_ns += 1; }); },
      "last event is not the checkpoint's");
}

TEST_P(BothModels, FileNameThatDisagreesWithTheHeaderIsRefused) {
  checkpoint(GetParam(), kOlder);
  std::filesystem::copy_file(path_of(kOlder), path_of(kNewer));
  CheckpointLoad load;
  EXPECT_EQ(answers_after_load(GetParam(), kOlder, &load), answers_rebuilt(GetParam()));
  ASSERT_EQ(load.skipped.size(), 1u);
  EXPECT_NE(load.skipped[0].find("another sequence than its file name"), std::string::npos);
}

TEST_P(BothModels, EveryCheckpointBadMeansAFullReplay) {
  checkpoint(GetParam(), kOlder);
  Bytes bytes = file_bytes(path_of(kOlder));
  bytes[sizeof(CheckpointHeader) + 4] ^= 1;
  write_bytes(path_of(kOlder), bytes);
  EXPECT_EQ(answers_after_load(GetParam(), 0), answers_rebuilt(GetParam()));
}

TEST_P(BothModels, BeyondTheRecoveredJournalIsDiscarded) {
  checkpoint(GetParam(), kOlder);
  checkpoint(GetParam(), kNewer);
  // Recovery left only the first 30 events: the checkpoint at 45 was taken from events that
  // are gone, and is removed so that it is never used once the journal grows past it again.
  const std::unique_ptr<ReadModel> model = make(GetParam());
  const CheckpointLoad load =
      load_newest_checkpoint(storage, checkpoints, journal_directory, 30, *model);
  ASSERT_TRUE(load.loaded);
  EXPECT_EQ(load.covered.sequence, kOlder);
  ASSERT_EQ(load.skipped.size(), 1u);
  EXPECT_NE(load.skipped[0].find("beyond the journal's last event 30"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path_of(kNewer)));
  EXPECT_TRUE(std::filesystem::exists(path_of(kOlder)));
}

TEST_P(BothModels, PreloadedBeyondTheRecoveredJournalIsDiscardedOnlyOnceRecoveryIsDone) {
  checkpoint(GetParam(), kOlder);
  checkpoint(GetParam(), kNewer);
  // The preload takes the newest, whatever recovery will say, and removes nothing.
  const std::unique_ptr<ReadModel> model = make(GetParam());
  const CheckpointPreload preload = preload_newest_checkpoint(storage, checkpoints, *model);
  ASSERT_TRUE(preload.decoded);
  EXPECT_EQ(preload.covered.sequence, kNewer);
  EXPECT_TRUE(std::filesystem::exists(path_of(kNewer)));
  // Recovery left only the first 30 events: as load_newest_checkpoint does, the newer one is
  // removed and the older one loaded.
  const CheckpointLoad load =
      finish_checkpoint_load(storage, checkpoints, journal_directory, 30, *model, preload);
  ASSERT_TRUE(load.loaded);
  EXPECT_EQ(load.covered.sequence, kOlder);
  ASSERT_EQ(load.skipped.size(), 1u);
  EXPECT_NE(load.skipped[0].find("beyond the journal's last event 30"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path_of(kNewer)));
  feed(*model, events.size(), load.resume);
  EXPECT_EQ(answers(*model), answers_rebuilt(GetParam()));
}

TEST_P(BothModels, PreloadOfAJournalWrittenAnewIsRefusedOnceRecoveryIsDone) {
  checkpoint(GetParam(), kNewer);
  const std::unique_ptr<ReadModel> model = make(GetParam());
  const CheckpointPreload preload = preload_newest_checkpoint(storage, checkpoints, *model);
  ASSERT_TRUE(preload.decoded);
  // Between the preload and recovery's end the journal changes under it (the same sequences at
  // other times): the finish checks the journal as it is then, and refuses the checkpoint.
  write_script(kSecond);
  const CheckpointLoad load = finish_checkpoint_load(storage, checkpoints, journal_directory,
                                                     events.size(), *model, preload);
  EXPECT_FALSE(load.loaded);
  ASSERT_EQ(load.skipped.size(), 1u);
  EXPECT_NE(load.skipped[0].find("the journal holds event"), std::string::npos) << load.skipped[0];
  feed(*model, events.size());
  EXPECT_EQ(answers(*model), answers_rebuilt(GetParam()));
}

TEST_P(BothModels, AJournalWrittenAnewUnderTheCheckpointIsRefused) {
  checkpoint(GetParam(), kNewer);
  // The same sequences at other times: the journal the checkpoint came from is gone.
  write_script(kSecond);
  CheckpointLoad load;
  EXPECT_EQ(answers_after_load(GetParam(), 0, &load), answers_rebuilt(GetParam()));
  ASSERT_EQ(load.skipped.size(), 1u);
  EXPECT_NE(load.skipped[0].find("the journal holds event"), std::string::npos) << load.skipped[0];
}

TEST_P(BothModels, KeepsTheNewestAndIgnoresLeftoversOfInterruptedWrites) {
  for (const uint64_t sequence : std::vector<uint64_t>{5, 10, kOlder, kNewer}) {
    checkpoint(GetParam(), sequence);
  }
  // As a crash during a write leaves it: a temporary file, never under a checkpoint's name.
  write_bytes(checkpoints + "/00000000000000000050.checkpoint.tmp", Bytes(100, 7));
  std::vector<std::string> names;
  ASSERT_TRUE(storage.list_directory(checkpoints, names).is_ok());
  EXPECT_EQ(names.size(), 5u);  // keep 4, and the leftover
  EXPECT_EQ(answers_after_load(GetParam(), kNewer), answers_rebuilt(GetParam()));
  ASSERT_TRUE(remove_checkpoints(storage, checkpoints).is_ok());
  names.clear();
  ASSERT_TRUE(storage.list_directory(checkpoints, names).is_ok());
  EXPECT_TRUE(names.empty());
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, BothModels, ::testing::Values("accounts", "history"),
                         [](const auto& test) { return std::string(test.param); });

// Offsets of the accounts model's body (account_model_checkpoint.cpp): last sequence, last
// time, the count, then the first account's id ("a": length and byte), owner ("Ada"), freeze
// reason (empty), type, currency, overdraft, opened sequence, created time, then its balance.
constexpr size_t kFirstBalance = sizeof(CheckpointHeader) + 24 + 5 + 7 + 4 + 1 + 4 + 8 + 8 + 8;

TEST_F(CheckpointTest, AccountsBalanceThatItsMovementsDoNotMakeIsRefused) {
  expect_refused(
      "accounts",
      [](Bytes& bytes) {
        int64_t balance = 0;
        std::memcpy(&balance, bytes.data() + kFirstBalance, sizeof(balance));
        balance += 1;
        std::memcpy(bytes.data() + kFirstBalance, &balance, sizeof(balance));
        reseal(bytes);
      },
      "do not add up to");
}

TEST_F(CheckpointTest, AccountsUnknownStatusIsRefused) {
  expect_refused(
      "accounts",
      [](Bytes& bytes) {
        bytes[kFirstBalance + 40] = 7;  // after balance, version and three times
        reseal(bytes);
      },
      "unknown type or status");
}

TEST_F(CheckpointTest, AccountsListedTwiceIsRefused) {
  // Two accounts with one id: the second account's id is rewritten to the first's ("a").
  expect_refused(
      "accounts",
      [](Bytes& bytes) {
        const std::string second = std::string("\1\0\0\0b", 5);
        const auto found =
            std::search(bytes.begin() + kFirstBalance, bytes.end(), second.begin(), second.end());
        ASSERT_NE(found, bytes.end());
        *(found + 4) = 'a';
        reseal(bytes);
      },
      "is another account's too");
}

TEST_F(CheckpointTest, HistoryEntryBeyondTheCheckpointIsRefused) {
  // The last account's last entry points past the checkpoint's last event (the journal holds
  // a record there, which a query would then read as the account's).
  expect_refused(
      "history",
      [](Bytes& bytes) {
        journal::JournalPosition position;
        const size_t entry = bytes.size() - 16;  // the body ends with an entry
        std::memcpy(&position, bytes.data() + entry, sizeof(position));
        position.segment_index += 1;
        std::memcpy(bytes.data() + entry, &position, sizeof(position));
        reseal(bytes);
      },
      "outside the journal or out of its order");
}

TEST_F(CheckpointTest, HistoryEntriesOutOfOrderAreRefused) {
  expect_refused(
      "history",
      [](Bytes& bytes) {
        // Swaps the last account's last two entries.
        std::swap_ranges(bytes.end() - 32, bytes.end() - 16, bytes.end() - 16);
        reseal(bytes);
      },
      "history: account");
}

}  // namespace
}  // namespace tally::read
