// Server: binding and listening fails with a Status that names the step and the address, never
// an exception (net/tallyd.cpp logs it and exits 1).
#include "net/server/server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "engine/pipeline/ingress.h"
#include "net/server/read_side.h"

namespace tally::net {
namespace {

TEST(ServerTest, AnAddressInUseOrNotAnAddressIsAStatusThatNamesIt) {
  ServerConfig config;
  config.port = 0;  // any free one
  Ingress ingress(config.pipeline.ingress);
  Server first(config);
  ReadSide read_side(first.router(), std::chrono::milliseconds(10));
  ASSERT_TRUE(first.bind_and_listen(ingress, read_side, {}).is_ok());
  ASSERT_NE(first.port(), 0u);

  ServerConfig taken = config;
  taken.port = first.port();
  Server second(taken);
  const Status in_use = second.bind_and_listen(ingress, read_side, {});
  EXPECT_EQ(in_use.code(), StatusCode::kIoError);
  EXPECT_NE(in_use.message().find("bind 127.0.0.1:" + std::to_string(first.port()) + ": "),
            std::string::npos)
      << in_use.message();

  ServerConfig nowhere = config;
  nowhere.host = "not an address";
  Server third(nowhere);
  const Status not_an_address = third.bind_and_listen(ingress, read_side, {});
  EXPECT_EQ(not_an_address.code(), StatusCode::kIoError);
  EXPECT_NE(not_an_address.message().find("address not an address:0: "), std::string::npos)
      << not_an_address.message();
}

}  // namespace
}  // namespace tally::net
