#include "net/server/access_control.h"

#include "engine/base/id_text.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

namespace tally::net {
namespace {

std::array<uint8_t, 32> sha256_of(std::string_view key) {
  std::array<uint8_t, 32> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest.data());
  return digest;
}

bool parse_digest(std::string_view text, std::array<uint8_t, 32>& digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (!text.starts_with(kPrefix) || text.size() != kPrefix.size() + 64) {
    return false;
  }
  text.remove_prefix(kPrefix.size());
  for (size_t index = 0; index < 32; ++index) {
    const std::optional<uint8_t> high = hex_digit_value(text[2 * index]);
    const std::optional<uint8_t> low = hex_digit_value(text[2 * index + 1]);
    if (!high || !low)
      return false;
    digest[index] = static_cast<uint8_t>(*high << 4 | *low);
  }
  return true;
}

bool parse_role(std::string_view text, Role& role) {
  if (text == "read") {
    role = Role::kRead;
  } else if (text == "write") {
    role = Role::kWrite;
  } else if (text == "admin") {
    role = Role::kAdmin;
  } else {
    return false;
  }
  return true;
}

}  // namespace

const char* role_name(Role role) {
  switch (role) {
    case Role::kRead:
      return "read";
    case Role::kWrite:
      return "write";
    case Role::kAdmin:
      return "admin";
    case Role::kNone:
      break;
  }
  return "none";
}

bool allows(Role role, Permission permission) {
  switch (permission) {
    case Permission::kRead:
      return role != Role::kNone;
    case Permission::kWrite:
      return role == Role::kWrite || role == Role::kAdmin;
    case Permission::kAdmin:
      return role == Role::kAdmin;
  }
  return false;
}

std::string api_key_digest_text(std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text = "sha256:";
  for (const uint8_t byte : sha256_of(key)) {
    text += kHex[byte >> 4];
    text += kHex[byte & 15];
  }
  return text;
}

Result<AccessControl> AccessControl::load(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    return Status{StatusCode::kIoError, "cannot read the auth file " + path};
  }
  std::stringstream text;
  text << file.rdbuf();
  return parse(text.str(), path);
}

Result<AccessControl> AccessControl::parse(std::string_view text, std::string_view origin) {
  AccessControl access;
  access.enabled_ = true;
  std::istringstream lines{std::string(text)};
  std::string line;
  for (size_t number = 1; std::getline(lines, line); ++number) {
    if (const size_t start = line.find_first_not_of(" \t\r");
        start == std::string::npos || line[start] == '#') {
      continue;
    }
    std::istringstream fields(line);
    Entry entry;
    std::string role, digest, extra;
    fields >> entry.name >> role >> digest;
    const std::string where = std::string(origin) + ":" + std::to_string(number) + ": ";
    if (digest.empty() || (fields >> extra)) {
      return Status::invalid_argument(where + "expected \"<name> <role> sha256:<hex>\"");
    }
    if (!parse_role(role, entry.role)) {
      return Status::invalid_argument(where + "role \"" + role +
                                      "\" is not one of read, write, admin");
    }
    if (!parse_digest(digest, entry.digest)) {
      return Status::invalid_argument(
          where + "the key must be given as sha256: and 64 hex digits (tallyd --hash-api-key)");
    }
    access.entries_.push_back(std::move(entry));
  }
  if (access.entries_.empty()) {
    return Status::invalid_argument(std::string(origin) + ": no keys (nobody could connect)");
  }
  return access;
}

size_t AccessControl::match(std::string_view key) const {
  const std::array<uint8_t, 32> digest = sha256_of(key);
  size_t found = entries_.size();
  for (size_t index = 0; index < entries_.size(); ++index) {
    // Every entry is compared, and the choice made without a branch on the secret's bytes.
    const bool equal = CRYPTO_memcmp(digest.data(), entries_[index].digest.data(), 32) == 0;
    found = equal && found == entries_.size() ? index : found;
  }
  return found;
}

Role AccessControl::role_of(std::string_view key) const {
  if (!enabled_) {
    return Role::kAdmin;
  }
  const size_t index = match(key);
  return index < entries_.size() ? entries_[index].role : Role::kNone;
}

std::string AccessControl::name_of(std::string_view key) const {
  const size_t index = enabled_ ? match(key) : entries_.size();
  return index < entries_.size() ? entries_[index].name : "";
}

}  // namespace tally::net
