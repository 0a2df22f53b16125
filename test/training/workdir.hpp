#pragma once
// A scratch folder for one training test, entered as the working directory (solver
// files use paths relative to it, as Caffe's do) and left again at the end. It
// holds links to the small golden LMDBs and a copy of the test LeNet prototxt.
#include <string>

namespace cortado::test {

class Workdir {
 public:
  explicit Workdir(const std::string& name);
  ~Workdir();
  Workdir(const Workdir&) = delete;
  Workdir& operator=(const Workdir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `text` into a file of this folder; returns its name.
  std::string write(const std::string& name, const std::string& text) const;

 private:
  std::string path_, previous_;
};

// The golden LeNet solver settings (base_lr 0.01, momentum 0.9, weight_decay 5e-4,
// inv policy, seed 1701) on the 1000-image LMDB, with the given schedule; `extra`
// adds fields (display, test_iter, average_loss, ...).
std::string lenet_solver(int max_iter, int snapshot, const std::string& extra = "",
                         const std::string& net = "lenet_train_test.prototxt");

std::string read_text(const std::string& path);
// The solver and the stderr of a tool run, for failure messages.
std::string tail(const std::string& text, size_t lines = 15);

}  // namespace cortado::test
