#include "engine/cli/commands.h"

#include <CLI/CLI.hpp>

#include <cstdio>

#include "kernels/common/error.h"

namespace mustfm::cli {

int run_command_line(int argc, char** argv) {
  CLI::App app{"mustfm-engine: multiscale supervised unbalanced OT flow matching"};
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int status = app.exit(error);
    return status == 0 ? 0 : 2;
  }
  return 0;
}

}  // namespace mustfm::cli
