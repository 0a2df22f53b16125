#pragma once
// Work that may run beside the main stream: a layer's parameter gradients, which nothing
// reads before the solver's update, while the main stream goes on down the net with the
// bottom gradients. A small net's kernels fill few of the GPU's SMs, so the two overlap.
//
//   { gpu::SideWork side; ...launches... }  // queued on the side stream, after the
//                                           // main stream's work so far
//   gpu::join_side_work();                  // the main stream waits for all of it
//
// Net::backward joins at its end (inside a captured training step too: the graph then
// forks and joins), and so does every copy of device memory to the host, so the side
// stream's results are never read early. A thread joins the side work it queued; one
// thread (the solver's) queues it, since the side stream and its events are the
// process's.

namespace cortado::gpu {

class SideWork {
 public:
  SideWork();
  ~SideWork();
  SideWork(const SideWork&) = delete;
  SideWork& operator=(const SideWork&) = delete;

 private:
  bool active_;  // set_side_stream's setting when the scope began
};

// The main stream waits for the side stream's work so far (nothing when none is
// pending since the last join, or inside a SideWork scope, where this thread's work
// queues behind it anyway).
void join_side_work();
// Whether this thread is inside a SideWork scope (Context's stream() is the side one).
bool on_side_stream();
// Process-wide, on by default: off, a SideWork scope queues on the main stream (the
// benchmarks time a step both ways, for the side stream's gain). Needs no device.
void set_side_stream(bool on);

}  // namespace cortado::gpu
