#pragma once

#include "remote/remote.h"

namespace plinth::remote {

// A folder, local or mounted (NAS), with the same layout as an S3 remote.
std::unique_ptr<Remote> open_local_remote(const std::string& name, std::filesystem::path root);

}  // namespace plinth::remote
