#include "http/router.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace plinth::http {
namespace {

ServerRequest request(const std::string& method, const std::string& path) {
  ServerRequest r;
  r.method = method;
  r.path = path;
  r.raw_path = path;
  return r;
}

Router make_router() {
  Router router;
  auto echo = [](const std::string& name) {
    return [name](const ServerRequest&, const PathParams& p) {
      std::string body = name;
      for (const auto& [k, v] : p) body += " " + k + "=" + v;
      return ServerResponse{200, "text/plain", body, {}};
    };
  };
  router.add("GET", "/api/logged-models/{id}", echo("get"));
  router.add("POST", "/api/logged-models/search", echo("search"));
  router.add("PATCH", "/api/logged-models/{id}/tags", echo("tags"));
  router.add("PUT", "/files/{*path}", echo("put"));
  return router;
}

TEST(Router, LiteralRoutesWinOverParameters) {
  Router router = make_router();
  EXPECT_EQ(router.dispatch(request("POST", "/api/logged-models/search")).body, "search");
  EXPECT_EQ(router.dispatch(request("GET", "/api/logged-models/m-1")).body, "get id=m-1");
  EXPECT_EQ(router.dispatch(request("PATCH", "/api/logged-models/m-1/tags")).body, "tags id=m-1");
}

TEST(Router, RestParameterTakesTheRemainingSegments) {
  Router router = make_router();
  EXPECT_EQ(router.dispatch(request("PUT", "/files/1/r/artifacts/a.txt")).body,
            "put path=1/r/artifacts/a.txt");
}

TEST(Router, UnknownPathIs404AndWrongMethod405) {
  Router router = make_router();
  auto missing = router.dispatch(request("GET", "/api/nothing"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(router.dispatch(request("DELETE", "/api/logged-models/search")).status, 405);
  EXPECT_EQ(router.dispatch(request("GET", "/api/logged-models/")).status, 404);
}

TEST(UrlDecode, EscapesPlusAndMalformedInput) {
  EXPECT_EQ(url_decode("a%2Fb+c", true), "a/b c");
  EXPECT_EQ(url_decode("a+b", false), "a+b");
  EXPECT_THROW(url_decode("%2", false), Error);
  EXPECT_THROW(url_decode("%zz", false), Error);
}

}  // namespace
}  // namespace plinth::http
