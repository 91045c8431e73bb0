// Tests of HttpFetch against a real HTTP server on 127.0.0.1: conditional requests,
// bodies to memory and to files, HEAD, the retry policy on 5xx, truncated bodies and
// timeouts, what is not retried, and the exact one-line messages of each failure.

#include "pipelines/http_client.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace materia {
namespace {

namespace fs = std::filesystem;

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/hello", [](const httplib::Request& request, httplib::Response& response) {
      response.set_header("ETag", "\"v1\"");
      if (request.get_header_value("If-None-Match") == "\"v1\"") {
        response.status = 304;
        return;
      }
      response.set_content("hello world", "text/plain");
    });
    server_.Get("/flaky", [this](const httplib::Request&, httplib::Response& response) {
      if (++flaky_requests_ <= 2) {
        response.status = 503;
        return;
      }
      response.set_content("finally", "text/plain");
    });
    server_.Get("/broken", [this](const httplib::Request&, httplib::Response& response) {
      broken_requests_++;
      response.status = 500;
    });
    server_.Get("/missing", [](const httplib::Request&, httplib::Response& response) {
      response.status = 404;
    });
    server_.Get("/truncated", [this](const httplib::Request&, httplib::Response& response) {
      const bool whole = ++truncated_requests_ > truncate_first_;
      response.set_content_provider(100, "application/octet-stream",
                                    [whole](size_t offset, size_t, httplib::DataSink& sink) {
                                      if (!whole && offset >= 40) return false;
                                      std::string part(whole ? 100 - offset : 40 - offset, 'x');
                                      return sink.write(part.data(), part.size());
                                    });
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& response) {
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      response.set_content("late", "text/plain");
    });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(std::string(100000, 'b'), "application/octet-stream");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 5000 && !server_.is_running(); i++) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    directory_ = fs::temp_directory_path() /
                 ("materia_http_test_" + std::to_string(::getpid()) + "_" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(directory_);
  }

  void TearDown() override {
    server_.stop();
    thread_.join();
    fs::remove_all(directory_);
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  static RetryPolicy Fast(int retries) {
    RetryPolicy policy;
    policy.retries = retries;
    policy.backoff_ms = 5;
    policy.backoff_max_ms = 20;
    policy.jitter_seed = 7;
    return policy;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  fs::path directory_;
  std::atomic<int> flaky_requests_{0};
  std::atomic<int> broken_requests_{0};
  std::atomic<int> truncated_requests_{0};
  int truncate_first_ = 1;
};

TEST_F(HttpClientTest, KeepsTheBodyAndTheEtag) {
  HttpRequest request;
  request.url = Url("/hello");
  HttpResponse response = HttpFetch(request, Fast(0));
  ASSERT_TRUE(response.error.ok()) << response.error.message();
  EXPECT_EQ(response.status_code, 200);
  EXPECT_EQ(response.body, "hello world");
  EXPECT_EQ(response.etag, "\"v1\"");
  EXPECT_EQ(response.content_length, 11);
  EXPECT_EQ(response.body_bytes, 11);
  EXPECT_EQ(response.bytes_downloaded, 11);
  EXPECT_EQ(response.attempts, 1);
  EXPECT_TRUE(response.reached_server);
}

TEST_F(HttpClientTest, SendsIfNoneMatchAndGets304WithoutABody) {
  HttpRequest request;
  request.url = Url("/hello");
  request.if_none_match = "\"v1\"";
  HttpResponse response = HttpFetch(request, Fast(0));
  ASSERT_TRUE(response.error.ok()) << response.error.message();
  EXPECT_EQ(response.status_code, 304);
  EXPECT_EQ(response.bytes_downloaded, 0);
  EXPECT_EQ(response.body, "");
}

TEST_F(HttpClientTest, HeadDownloadsNoBody) {
  HttpRequest request;
  request.url = Url("/big");
  request.head_only = true;
  HttpResponse response = HttpFetch(request, Fast(0));
  ASSERT_TRUE(response.error.ok()) << response.error.message();
  EXPECT_EQ(response.status_code, 200);
  EXPECT_EQ(response.content_length, 100000);
  EXPECT_EQ(response.bytes_downloaded, 0);
}

TEST_F(HttpClientTest, WritesTheBodyToAFile) {
  HttpRequest request;
  request.url = Url("/big");
  request.body_path = (directory_ / "big.bin").string();
  int64_t progress_bytes = 0;
  request.on_progress = [&progress_bytes](int64_t bytes, int64_t) { progress_bytes = bytes; };
  HttpResponse response = HttpFetch(request, Fast(0));
  ASSERT_TRUE(response.error.ok()) << response.error.message();
  EXPECT_EQ(fs::file_size(request.body_path), 100000u);
  EXPECT_EQ(response.body, "");
  EXPECT_EQ(progress_bytes, 100000);
}

TEST_F(HttpClientTest, RetriesServerErrorsUntilSuccess) {
  HttpRequest request;
  request.url = Url("/flaky");
  std::vector<std::string> retries;
  RetryPolicy policy = Fast(4);
  policy.on_retry = [&retries](int attempt, const std::string& why, int64_t delay_ms) {
    retries.push_back(std::to_string(attempt) + " " + why);
    EXPECT_GE(delay_ms, 0);
    EXPECT_LE(delay_ms, 20);
  };
  HttpResponse response = HttpFetch(request, policy);
  ASSERT_TRUE(response.error.ok()) << response.error.message();
  EXPECT_EQ(response.body, "finally");
  EXPECT_EQ(response.attempts, 3);
  EXPECT_EQ(retries, (std::vector<std::string>{"1 HTTP 503", "2 HTTP 503"}));
}

TEST_F(HttpClientTest, GivesUpAfterTheLastRetryWithOneLine) {
  HttpRequest request;
  request.url = Url("/broken");
  HttpResponse response = HttpFetch(request, Fast(2));
  EXPECT_EQ(response.error.code(), StatusCode::kIoError);
  EXPECT_EQ(response.error.message(), Url("/broken") + ": HTTP 500 (after 3 attempts)");
  EXPECT_EQ(response.status_code, 500);
  EXPECT_EQ(response.attempts, 3);
  EXPECT_EQ(broken_requests_, 3);
}

TEST_F(HttpClientTest, A404IsAResponseNotAnError) {
  HttpRequest request;
  request.url = Url("/missing");
  HttpResponse response = HttpFetch(request, Fast(3));
  EXPECT_TRUE(response.error.ok());
  EXPECT_EQ(response.status_code, 404);
  EXPECT_EQ(response.attempts, 1);
}

TEST_F(HttpClientTest, RetriesATruncatedBody) {
  HttpRequest request;
  request.url = Url("/truncated");
  HttpResponse response = HttpFetch(request, Fast(2));
  ASSERT_TRUE(response.error.ok()) << response.error.message();
  EXPECT_EQ(response.body, std::string(100, 'x'));
  EXPECT_EQ(response.attempts, 2);
  EXPECT_EQ(response.bytes_downloaded, 140);
}

TEST_F(HttpClientTest, NamesTheTruncationWhenItPersists) {
  truncate_first_ = 100;
  HttpRequest request;
  request.url = Url("/truncated");
  HttpResponse response = HttpFetch(request, Fast(1));
  EXPECT_EQ(response.error.message(),
            Url("/truncated") + ": truncated body: received 40 bytes of 100 (after 2 attempts)");
}

TEST_F(HttpClientTest, TimesOut) {
  HttpRequest request;
  request.url = Url("/slow");
  request.timeout_total_ms = 100;
  HttpResponse response = HttpFetch(request, Fast(0));
  EXPECT_EQ(response.error.message(), Url("/slow") + ": no complete response within 100 ms");
  EXPECT_TRUE(response.reached_server);
}

TEST_F(HttpClientTest, RefusesBodiesOverTheLimitWithoutRetrying) {
  HttpRequest request;
  request.url = Url("/big");
  request.body_bytes_max = 1000;
  HttpResponse response = HttpFetch(request, Fast(3));
  EXPECT_EQ(response.error.message(), Url("/big") + ": the body is larger than the limit of 1000 bytes");
  EXPECT_EQ(response.attempts, 1);
}

TEST_F(HttpClientTest, NamesAServerThatIsDown) {
  const std::string url = Url("/hello");
  server_.stop();
  thread_.join();
  thread_ = std::thread([] {});
  HttpRequest request;
  request.url = url;
  HttpResponse response = HttpFetch(request, Fast(1));
  EXPECT_EQ(response.error.message(),
            url + ": cannot connect to the server (Connection refused) (after 2 attempts)");
  EXPECT_FALSE(response.reached_server);
  EXPECT_EQ(response.status_code, 0);
}

TEST_F(HttpClientTest, FetchesOnlyHttpUrls) {
  HttpRequest request;
  request.url = "file:///etc/passwd";
  HttpResponse response = HttpFetch(request, Fast(3));
  EXPECT_EQ(response.error.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(response.error.message(), "'file:///etc/passwd' is not an http:// or https:// URL");
}

TEST(RetryDelay, DoublesUpToTheCapWithJitterInTheUpperHalf) {
  RetryPolicy policy;
  policy.backoff_ms = 100;
  policy.backoff_max_ms = 1000;
  for (uint64_t random : {uint64_t{0}, uint64_t{12345}, ~uint64_t{0}}) {
    EXPECT_GE(RetryDelayMs(policy, 1, random), 50);
    EXPECT_LE(RetryDelayMs(policy, 1, random), 100);
    EXPECT_GE(RetryDelayMs(policy, 3, random), 200);
    EXPECT_LE(RetryDelayMs(policy, 3, random), 400);
    EXPECT_GE(RetryDelayMs(policy, 10, random), 500);
    EXPECT_LE(RetryDelayMs(policy, 10, random), 1000);
    EXPECT_LE(RetryDelayMs(policy, 60, random), 1000);  // no overflow far out
  }
  policy.backoff_ms = 0;
  EXPECT_EQ(RetryDelayMs(policy, 1, 99), 0);
}

}  // namespace
}  // namespace materia
