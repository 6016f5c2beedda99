// The mustfm-engine command: a thin layer over engine/cli/commands.
#include "engine/cli/commands.h"

int main(int argc, char** argv) {
  return mustfm::cli::run_command_line(argc, argv);
}
