// A stand-in for libnvidia-ml.so.1 with one GPU, written against NVML's documented C API
// (nvml.h: nvmlMemory_t, nvmlUtilization_t, milliwatt power readings; NVML_SUCCESS is 0), so
// the sampler's GPU path runs on machines without an NVIDIA GPU.
extern "C" {
typedef struct {
  unsigned long long total, free, used;
} nvmlMemory_t;
typedef struct {
  unsigned int gpu, memory;
} nvmlUtilization_t;
typedef void* nvmlDevice_t;

static int device;

int nvmlInit_v2(void) { return 0; }
int nvmlShutdown(void) { return 0; }
int nvmlDeviceGetCount_v2(unsigned int* count) {
  *count = 1;
  return 0;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* handle) {
  if (index != 0) return 2;  // NVML_ERROR_INVALID_ARGUMENT
  *handle = &device;
  return 0;
}
int nvmlDeviceGetMemoryInfo(nvmlDevice_t, nvmlMemory_t* memory) {
  memory->total = 16000000000ULL;
  memory->used = 4000000000ULL;
  memory->free = memory->total - memory->used;
  return 0;
}
int nvmlDeviceGetUtilizationRates(nvmlDevice_t, nvmlUtilization_t* utilization) {
  utilization->gpu = 87;
  utilization->memory = 40;
  return 0;
}
int nvmlDeviceGetPowerUsage(nvmlDevice_t, unsigned int* milliwatts) {
  *milliwatts = 150000;
  return 0;
}
int nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t, unsigned int* milliwatts) {
  *milliwatts = 300000;
  return 0;
}
}
