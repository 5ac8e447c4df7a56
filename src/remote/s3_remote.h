#pragma once

#include "remote/remote.h"
#include "storage/s3_settings.h"

namespace plinth::remote {

std::unique_ptr<Remote> open_s3_remote(const std::string& name, const std::string& url,
                                       storage::S3Settings settings);

}  // namespace plinth::remote
