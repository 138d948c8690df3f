// AccountModel's checkpoints: save() and restore() (read_model.h, checkpoint.h). Only what the
// events set is written (each account's profile and activity); what is derived from it (the
// indexes by id and owner, the dense balances, the per-currency totals and counts) is rebuilt,
// so a checkpoint cannot hold an index that disagrees with its accounts.
#include <string>

#include "engine/base/limits.h"
#include "engine/read/account_model.h"
#include "engine/read/state_bytes.h"

namespace tally::read {
namespace {

Status refused(uint64_t index, std::string_view problem) {
  return Status::corruption("account " + std::to_string(index) + ": " + std::string(problem));
}

void put_activity(StateWriter& writer, const AccountActivity& account) {
  writer.put(account.balance);
  writer.put(account.version);
  writer.put(account.updated_ns);
  writer.put(account.first_activity_ns);
  writer.put(account.last_activity_ns);
  writer.put(static_cast<uint8_t>(account.status));
  writer.put(account.deposits);
  writer.put(account.withdrawals);
  writer.put(account.deposited);
  writer.put(account.withdrawn);
  writer.put(account.transferred_in);
  writer.put(account.transferred_out);
  writer.put(account.transfers_in);
  writer.put(account.transfers_out);
  writer.put(account.rejections);
}

bool take_activity(StateReader& reader, AccountActivity& account) {
  uint8_t status = 0;
  const bool taken = reader.take(account.balance) && reader.take(account.version) &&
                     reader.take(account.updated_ns) && reader.take(account.first_activity_ns) &&
                     reader.take(account.last_activity_ns) && reader.take(status) &&
                     reader.take(account.deposits) && reader.take(account.withdrawals) &&
                     reader.take(account.deposited) && reader.take(account.withdrawn) &&
                     reader.take(account.transferred_in) && reader.take(account.transferred_out) &&
                     reader.take(account.transfers_in) && reader.take(account.transfers_out) &&
                     reader.take(account.rejections);
  account.status = static_cast<AccountStatus>(status);
  return taken;
}

bool take_profile(StateReader& reader, AccountProfile& profile) {
  uint8_t type = 0;
  uint32_t currency = 0;
  const bool taken = reader.take_text(profile.account_id, kAccountIdBytesMax) &&
                     reader.take_text(profile.owner, kOwnerBytesMax) &&
                     reader.take_text(profile.freeze_reason, kFreezeReasonBytesMax) &&
                     reader.take(type) && reader.take(currency) &&
                     reader.take(profile.overdraft_limit) && reader.take(profile.opened_sequence) &&
                     reader.take(profile.created_ns);
  profile.account_type = static_cast<AccountType>(type);
  profile.currency = CurrencyCode::from_packed(currency);
  return taken;
}

// What is wrong with a restored account taken alone, or "" if nothing: values the ledger could
// never have recorded, times outside the checkpoint, a balance its own movements do not make.
std::string problem_of(const AccountProfile& profile, const AccountActivity& account,
                       const CheckpointCoverage& covered) {
  if (profile.account_id.empty()) {
    return "no id";
  }
  if (profile.account_type > AccountType::MAX || account.status > AccountStatus::MAX) {
    return "unknown type or status";
  }
  if (!CurrencyCode::parse(profile.currency.to_string()) ||
      CurrencyCode::parse(profile.currency.to_string())->packed() != profile.currency.packed()) {
    return "not a currency code";
  }
  if (profile.opened_sequence == 0 || profile.opened_sequence > covered.sequence ||
      account.version == 0) {
    return "opened at sequence 0, after the checkpoint, or at version 0";
  }
  if (profile.created_ns < 0 || profile.created_ns > account.first_activity_ns ||
      account.first_activity_ns > account.last_activity_ns ||
      account.updated_ns > account.last_activity_ns ||
      account.last_activity_ns > covered.timestamp_ns) {
    return "times out of order or after the checkpoint";
  }
  if (!profile.freeze_reason.empty() && account.status != AccountStatus::Frozen) {
    return "a freeze reason on an account not frozen";
  }
  const WideSum moved =
      account.deposited - account.withdrawn + account.transferred_in - account.transferred_out;
  if (moved != account.balance) {
    return "a balance its deposits, withdrawals and transfers do not add up to";
  }
  return "";
}

}  // namespace

void AccountModel::save(StateWriter& writer) const {
  writer.reserve(profiles_.size() * 192);  // about 150 bytes an account, ids and owners aside
  writer.put(last_sequence_);
  writer.put(last_timestamp_ns_);
  writer.put(static_cast<uint64_t>(profiles_.size()));
  for (size_t index = 0; index < profiles_.size(); ++index) {
    const AccountProfile& profile = profiles_[index];
    writer.put_text(profile.account_id);
    writer.put_text(profile.owner);
    writer.put_text(profile.freeze_reason);
    writer.put(static_cast<uint8_t>(profile.account_type));
    writer.put(profile.currency.packed());
    writer.put(profile.overdraft_limit);
    writer.put(profile.opened_sequence);
    writer.put(profile.created_ns);
    put_activity(writer, activity_[index]);
  }
}

Status AccountModel::restore(StateReader& reader, const CheckpointCoverage& covered) {
  uint64_t count = 0;
  if (!reader.take(last_sequence_) || !reader.take(last_timestamp_ns_) || !reader.take(count)) {
    return Status::corruption("accounts: cut short");
  }
  // The projector checkpoints at the end of a request it handed over: the model's last event.
  if (last_sequence_ != covered.sequence || last_timestamp_ns_ != covered.timestamp_ns) {
    return Status::corruption("accounts: the model's last event is not the checkpoint's");
  }
  constexpr size_t kAccountBytesMin = 160;  // the fixed fields, empty texts
  if (count > covered.sequence || !reader.could_hold(count, kAccountBytesMin)) {
    return Status::corruption("accounts: " + std::to_string(count) + " accounts, more than " +
                              "its events or bytes could hold");
  }
  const uint64_t room = restored_capacity(count);
  activity_.reserve(room);
  profiles_.reserve(room);
  balances_.reserve(room);
  by_id_.reserve(room);
  for (uint64_t index = 0; index < count; ++index) {
    if (Status status = restore_account(reader, covered); !status.is_ok()) {
      return status;
    }
  }
  // The apply path asserts this of every currency: a checkpoint must not break it.
  for (const CurrencyTotals& totals : currencies_) {
    if (totals.total_balance != totals.net_inflow) {
      return Status::corruption("accounts: the " + totals.currency.to_string() +
                                " balances do not add up to its deposits less withdrawals");
    }
  }
  return Status::ok();
}

Status AccountModel::restore_account(StateReader& reader, const CheckpointCoverage& covered) {
  const uint64_t index = profiles_.size();
  AccountProfile profile;
  AccountActivity account;
  if (!take_profile(reader, profile) || !take_activity(reader, account)) {
    return refused(index, "cut short");
  }
  if (const std::string problem = problem_of(profile, account, covered); !problem.empty()) {
    return refused(index, problem);
  }
  if (!profiles_.empty() && profile.opened_sequence <= profiles_.back().opened_sequence) {
    return refused(index, "not in opening order");
  }
  if (by_id_.contains(profile.account_id)) {
    return refused(index, "its id " + profile.account_id + " is another account's too");
  }
  index_restored(std::move(profile), account);
  return Status::ok();
}

void AccountModel::index_restored(AccountProfile profile, const AccountActivity& restored) {
  const auto index = static_cast<uint32_t>(profiles_.size());
  AccountActivity& account = activity_.emplace_back(restored);
  account.currency_index = currency_index(profile.currency);  // in order of first use, as open()
  CurrencyTotals& totals = currencies_[account.currency_index];
  totals.total_balance += account.balance;
  // Transfers stay within a currency: what came in from outside is deposits less withdrawals.
  totals.net_inflow += account.deposited - account.withdrawn;
  ++totals.accounts;
  totals.frozen += account.status == AccountStatus::Frozen ? 1 : 0;
  totals.closed += account.status == AccountStatus::Closed ? 1 : 0;
  totals.members.push_back(index);
  by_id_.emplace(profile.account_id, index);
  by_owner_[profile.owner].push_back(index);
  balances_.push_back(account.balance);
  profiles_.push_back(std::move(profile));
}

}  // namespace tally::read
