#pragma once
// The --sigint_effect / --sighup_effect flags shared by train, resume and finetune,
// declared once so their names, defaults and help stay the same in all three.
#include <string>

namespace CLI {
class App;
}

namespace cortado {

struct TrainingOptions;

struct SignalFlags {
  std::string sigint = "stop", sighup = "snapshot";
};

void add_signal_flags(CLI::App& app, SignalFlags& flags);
// Parses both into `opts` (an unknown effect is an Error naming its flag).
void apply_signal_flags(const SignalFlags& flags, TrainingOptions& opts);

}  // namespace cortado
