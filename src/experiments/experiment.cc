#include "experiments/experiment.h"

#include "core/error.h"

namespace plinth::experiments {

const char* status_name(Status status) {
  switch (status) {
    case Status::kFinished:
      return "FINISHED";
    case Status::kFailed:
      return "FAILED";
    case Status::kKilled:
      return "KILLED";
  }
  return "FAILED";
}

std::unique_ptr<RunningExperiment> start(const ExperimentContext&, const ExperimentSpec&) {
  throw Error(ErrorCode::kInternal, "experiments: not implemented yet");
}

}  // namespace plinth::experiments
