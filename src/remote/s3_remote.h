#pragma once

#include "remote/remote.h"
#include "remote/s3_settings.h"

namespace plinth::remote {

// Objects at or above this size are uploaded in parts.
constexpr uint64_t kMultipartThreshold = 64ull << 20;

std::unique_ptr<Remote> open_s3_remote(const std::string& name, const std::string& url,
                                       S3Settings settings);

}  // namespace plinth::remote
