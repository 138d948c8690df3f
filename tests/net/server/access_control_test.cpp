// net/server/access_control.h: the auth file's format, roles and what each allows.
#include "net/server/access_control.h"

#include <gtest/gtest.h>

namespace tally::net {
namespace {

std::string line(const std::string& name, const std::string& role, const std::string& key) {
  return name + " " + role + " " + api_key_digest_text(key) + "\n";
}

TEST(AccessControlTest, KeysAreStoredAsSha256Digests) {
  // SHA-256 of the empty string, the standard's test vector.
  EXPECT_EQ(api_key_digest_text(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(api_key_digest_text("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(AccessControlTest, EachKeyHasItsRoleAndUnknownKeysNone) {
  const std::string text = "# keys of the payments team\n\n" + line("reports", "read", "r-key") +
                           line("checkout", "write", "w-key") + "  " +
                           line("operator", "admin", "a-key");
  const Result<AccessControl> loaded = AccessControl::parse(text, "keys");
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  const AccessControl& access = loaded.value();
  EXPECT_TRUE(access.enabled());
  EXPECT_EQ(access.key_count(), 3u);
  EXPECT_EQ(access.role_of("r-key"), Role::kRead);
  EXPECT_EQ(access.role_of("w-key"), Role::kWrite);
  EXPECT_EQ(access.role_of("a-key"), Role::kAdmin);
  EXPECT_EQ(access.name_of("w-key"), "checkout");
  EXPECT_EQ(access.role_of("w-key "), Role::kNone);
  EXPECT_EQ(access.role_of(""), Role::kNone);
  EXPECT_EQ(access.name_of("nope"), "");
}

TEST(AccessControlTest, WithoutAFileEveryoneIsAdmin) {
  const AccessControl open;
  EXPECT_FALSE(open.enabled());
  EXPECT_EQ(open.role_of(""), Role::kAdmin);
  EXPECT_EQ(open.role_of("anything"), Role::kAdmin);
}

TEST(AccessControlTest, RolesAllowWhatTheyNameAndLess) {
  EXPECT_TRUE(allows(Role::kRead, Permission::kRead));
  EXPECT_FALSE(allows(Role::kRead, Permission::kWrite));
  EXPECT_FALSE(allows(Role::kRead, Permission::kAdmin));
  EXPECT_TRUE(allows(Role::kWrite, Permission::kRead));
  EXPECT_TRUE(allows(Role::kWrite, Permission::kWrite));
  EXPECT_FALSE(allows(Role::kWrite, Permission::kAdmin));
  EXPECT_TRUE(allows(Role::kAdmin, Permission::kAdmin));
  EXPECT_FALSE(allows(Role::kNone, Permission::kRead));
}

TEST(AccessControlTest, AFileThatIsWrongNamesTheLine) {
  const std::string digest = api_key_digest_text("k");
  struct Case {
    std::string text;
    std::string says;
  };
  const Case cases[] = {
      {"a read " + digest + "\nb superuser " + digest + "\n", "keys:2: role \"superuser\""},
      {"a read\n", "keys:1: expected"},
      {"a read " + digest + " extra\n", "keys:1: expected"},
      {"a read plain-text-key\n", "keys:1: the key must be given as sha256:"},
      {"a read sha256:1234\n", "keys:1: the key must be given as sha256:"},
      {"a read sha256:" + std::string(64, 'g') + "\n", "keys:1: the key must be given"},
      {"# only comments\n", "no keys"},
  };
  for (const Case& test : cases) {
    const Result<AccessControl> loaded = AccessControl::parse(test.text, "keys");
    ASSERT_FALSE(loaded.is_ok()) << test.text;
    EXPECT_NE(loaded.status().message().find(test.says), std::string::npos)
        << loaded.status().message();
  }
  EXPECT_FALSE(AccessControl::load("/nonexistent/keys").is_ok());
}

}  // namespace
}  // namespace tally::net
