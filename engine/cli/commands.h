// The command-line interface, as a library function so tests can drive it. Returns the exit
// status: 0 success, 2 bad input (job, data, arguments), 1 runtime failure.
#pragma once

namespace mustfm::cli {

int run_command_line(int argc, char** argv);

}  // namespace mustfm::cli
