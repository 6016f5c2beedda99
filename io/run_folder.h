// A run folder: where one job's outputs go. Files are written atomically (temporary name, then
// rename), so an interrupted run never leaves a half-written output behind.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mustfm {

// How a run uses its output folder.
enum class OutputFolderUse {
  fresh,        // absent or empty
  same_job,     // holds a run of the same job, which the new run overwrites file by file
  changed_job,  // holds a run of this job with changes the caller accepted (see below)
  replacing,    // holds another job's run and `force` was given: clear_run_outputs first
};

// Decides whether a run folder whose job differs from the new one in `keys` (dotted paths such
// as "prediction.times") may carry on as the new job's folder.
using ReusableChange = std::function<bool(const std::vector<std::string>& keys)>;

// Checks, before anything is written, that `root` may receive the run of the job whose resolved
// form is `resolved_job`: it does not exist, is empty, or is a run folder of the same job (equal
// resolved jobs but for the output and backend sections, which change where and on what a run
// computes, not what). A run folder of a different job needs `force`; without it the InputError
// names the keys that differ. When `reusable` accepts the differing keys, the answer is
// changed_job and `changed_keys` (if given) receives them: the caller reruns what they affect.
// A file, or a non-empty folder that is no run folder, is refused always. InputError naming the
// folder.
OutputFolderUse check_output_folder(const std::filesystem::path& root,
                                    const std::string& resolved_job,
                                    bool force,
                                    const ReusableChange& reusable = {},
                                    std::vector<std::string>* changed_keys = nullptr);

// Removes what a run writes (the resolved job, the log, and every stage's files) from `root`, so a
// replacing run leaves nothing of the previous one behind. Other files are left alone.
void clear_run_outputs(const std::filesystem::path& root);

// The file in a run folder that holds the resolved job.
inline constexpr const char* kResolvedJobFile = "job.resolved.json";

class RunFolder {
 public:
  // Creates `root` (and parents) if needed. RuntimeFailure naming the path when it cannot, or
  // when `root` exists and is not a folder.
  explicit RunFolder(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }
  // root / relative; creates the parent folders of the file.
  std::filesystem::path file(const std::string& relative) const;
  // Writes `text` to root / relative in one step.
  void write_text(const std::string& relative, std::string_view text) const;

 private:
  std::filesystem::path root_;
};

}  // namespace mustfm
