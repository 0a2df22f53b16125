#include "util/device.hpp"

#include <cctype>

#include "math/gemm_isa.hpp"
#include "math/threads.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#ifdef CORTADO_WITH_CUDA
#include "cuda/util/device_query.hpp"
#endif

namespace cortado {
namespace {

// "0" -> 0, "2,3" -> 2, "all" -> 0; anything else is an Error naming the flag.
int first_requested_id(const std::string& flag) {
  if (flag == "all") {
    LOG_INFO("--gpu all: multi-GPU training is not implemented yet; using GPU 0 only");
    return 0;
  }
  const std::string first = flag.substr(0, flag.find(','));
  bool digits = !first.empty() && first.size() < 9;
  for (char c : first) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (!digits)
    throw Error("--gpu",
                "expected a device id (0, 1, ...), a comma-separated list of ids or "
                "'all', got '" +
                    flag + "'");
  if (first != flag)
    LOG_INFO("--gpu {}: multi-GPU training is not implemented yet; using GPU {} only", flag, first);
  return std::stoi(first);
}

#ifdef CORTADO_WITH_CUDA
std::string plural_devices(int n) {
  return std::to_string(n) + (n == 1 ? " CUDA device" : " CUDA devices");
}

// An id the runtime cannot serve is an Error naming `where` (the flag or the solver field).
void check_id_exists(int id, const std::string& where) {
  std::string why;
  const int count = gpu::device_count(&why);
  if (count == 0)
    throw Error(where, "no CUDA device found (asked for GPU " + std::to_string(id) + ")" +
                           (why.empty() ? "" : ": " + why));
  if (id >= count)
    throw Error(where, "GPU " + std::to_string(id) + " does not exist: this machine has " +
                           plural_devices(count) + " (ids 0 to " + std::to_string(count - 1) + ")");
}
#endif

}  // namespace

bool gpu_available() {
#ifdef CORTADO_WITH_CUDA
  return gpu::device_count(nullptr) > 0;
#else
  return false;
#endif
}

DeviceChoice choose_device(const std::string& gpu_flag, bool solver_mode_gpu,
                           int solver_device_id) {
  if (!gpu_flag.empty()) {
    const int id = first_requested_id(gpu_flag);
#ifdef CORTADO_WITH_CUDA
    check_id_exists(id, "--gpu");
    return {true, id};
#else
    (void)id;
    throw Error("--gpu",
                "this Cortado was built without the CUDA backend; drop --gpu or "
                "rebuild with nvcc");
#endif
  }
  if (!solver_mode_gpu) return {};
  if (!gpu_available()) {
#ifdef CORTADO_WITH_CUDA
    const char* why = "no CUDA device was found";
#else
    const char* why = "this build has no GPU backend";
#endif
    LOG_WARN("solver_mode GPU (device {}), but {}: using the CPU", solver_device_id, why);
    return {};
  }
#ifdef CORTADO_WITH_CUDA
  if (solver_device_id < 0)
    throw Error("solver device_id",
                "expected a device id >= 0, got " + std::to_string(solver_device_id));
  check_id_exists(solver_device_id, "solver device_id");
#endif
  return {true, solver_device_id};
}

void activate_device(const DeviceChoice& choice) {
  if (!choice.gpu) {
    LOG_INFO("Use CPU.");
    // Which GEMM build runs matters to anyone comparing timings across machines.
    LOG_INFO("CPU math: {} threads, {} GEMM kernels", cpu_threads(), gemm_isa());
    return;
  }
#ifdef CORTADO_WITH_CUDA
  gpu::select_device(choice.id);
  LOG_INFO("Use GPU with device ID {}", choice.id);
  LOG_INFO("GPU {}: {}", choice.id, gpu::device_name(choice.id));
  // Layers without GPU kernels are named when a net goes to the GPU (Net::set_mode).
#else
  throw Error("--gpu",
              "this Cortado was built without the CUDA backend; drop --gpu or "
              "rebuild with nvcc");
#endif
}

void wait_for_device(const DeviceChoice& choice) {
#ifdef CORTADO_WITH_CUDA
  if (choice.gpu) gpu::wait_for_stream();
#else
  (void)choice;
#endif
}

}  // namespace cortado
