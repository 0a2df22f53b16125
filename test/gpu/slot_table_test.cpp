// The launch geometry of the multi-array kernels (cuda/solvers/slot_table.cuh),
// checked on the host (it needs no device): tables split where they must, empty
// arrays are left out, and the blocks of a launch cover every element of every
// array exactly once.
#include "gpu_test_util.hpp"

#ifdef CORTADO_WITH_CUDA
#include <cstdint>
#include <vector>

#include "cuda/solvers/slot_table.cuh"
#endif

namespace cortado::test {

#ifdef CORTADO_WITH_CUDA
namespace {

struct Array {
  int id;
  int64_t count;
};

// Runs the launches of `arrays` in tables of kMax on the host, counting the visits of
// each element; returns the number of launches.
template <int kMax>
int visit_all(const std::vector<Array>& arrays, std::vector<std::vector<int>>& visits) {
  int launches = 0;
  gpu::for_each_slot_table<kMax>(arrays, [&](const gpu::SlotTable<Array, kMax>& table, int blocks) {
    ++launches;
    REQUIRE(table.count >= 1);
    REQUIRE(table.count <= kMax);
    REQUIRE(table.first_block[0] == 0);
    REQUIRE(table.first_block[table.count] == blocks);
    for (int block = 0; block < blocks; ++block)
      for (int thread = 0; thread < gpu::kThreads; ++thread) {
        const gpu::SlotSpan span = gpu::slot_span(table, block, thread, gpu::kThreads);
        REQUIRE(span.slot >= 0);
        REQUIRE(span.slot < table.count);
        const Array& a = table.slot[span.slot];
        for (int64_t i = span.first; i < a.count; i += span.stride) ++visits[a.id][i];
      }
  });
  return launches;
}

}  // namespace
#endif

TEST_CASE("Multi-array launches cover each element of each array once, in few launches",
          "[gpu][slot_table]") {
#ifdef CORTADO_WITH_CUDA
  // Sizes that end mid-block, one that needs more than a slot's blocks, empty ones.
  const int64_t sizes[] = {1, 255, 256, 257, 0, 1024 * 256 + 3, 5000, 0, 31};
  std::vector<Array> arrays;
  for (int i = 0; i < 23; ++i) arrays.push_back({i, sizes[i % 9]});
  std::vector<std::vector<int>> visits;
  for (const Array& a : arrays) visits.emplace_back(static_cast<size_t>(a.count), 0);

  SECTION("tables of 4: the 18 non-empty arrays take 5 launches") {
    CHECK(visit_all<4>(arrays, visits) == 5);
  }
  SECTION("one table holds them all") { CHECK(visit_all<40>(arrays, visits) == 1); }
  for (size_t a = 0; a < visits.size(); ++a)
    for (size_t i = 0; i < visits[a].size(); ++i)
      if (visits[a][i] != 1) {
        INFO("array " << a << " element " << i);
        REQUIRE(visits[a][i] == 1);
      }

  std::vector<std::vector<int>> none;
  CHECK(visit_all<4>({}, none) == 0);
  CHECK(visit_all<4>({{0, 0}, {1, 0}}, none) == 0);
#else
  WARN("built without CUDA: multi-array launch test skipped");
#endif
}

}  // namespace cortado::test
