// AccessControl: API keys with roles, from the file named by --auth-file (docs/protocol.md,
// "Access control"). Without a file every client may do anything, and tallyd listens only on
// loopback addresses (ServerConfig::validate).
//
// File: one key per line, `<name> <role> sha256:<64 hex digits>`, the digest being SHA-256 of
// the key's bytes (`tallyd --hash-api-key` prints it for a key read from standard input);
// blank lines and lines starting with '#' are ignored. Names are for logs; roles are
//   read   queries (details, balances, history, ..., stats, projection status);
//   write  commands too;
//   admin  also what changes the server itself (read-model rebuilds).
// Keys are kept only as digests; a presented key is hashed and compared with every entry in
// constant time (no early exit, CRYPTO_memcmp), so timing says nothing about which entry, or
// how much of one, matched.
//
// Threads: immutable after load(); any thread may call role_of() and allows().
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"

namespace tally::net {

enum class Role : uint8_t { kNone, kRead, kWrite, kAdmin };

// What a request needs, at least.
enum class Permission : uint8_t { kRead, kWrite, kAdmin };

const char* role_name(Role role);
bool allows(Role role, Permission permission);

class AccessControl {
 public:
  // No file: everyone is admin.
  AccessControl() = default;
  // kInvalidArgument naming the line that is wrong, or kIoError if the file cannot be read.
  static Result<AccessControl> load(const std::string& path);
  // The same, from the file's text (`origin` names it in messages).
  static Result<AccessControl> parse(std::string_view text, std::string_view origin);

  bool enabled() const { return enabled_; }
  // The role of `key` (kNone if no entry matches); kAdmin when not enabled.
  Role role_of(std::string_view key) const;
  // The name of the entry `key` matches, for logs ("" if none).
  std::string name_of(std::string_view key) const;
  size_t key_count() const { return entries_.size(); }

 private:
  using Digest = std::array<uint8_t, 32>;
  struct Entry {
    std::string name;
    Role role = Role::kNone;
    Digest digest{};
  };
  // The index of the entry `key` matches, or entries_.size(); looks at every entry.
  size_t match(std::string_view key) const;

  bool enabled_ = false;
  std::vector<Entry> entries_;
};

// "sha256:<hex>" of `key`: the form the file holds.
std::string api_key_digest_text(std::string_view key);

}  // namespace tally::net
