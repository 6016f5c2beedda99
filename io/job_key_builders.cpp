#include "io/job_key_builders.h"

namespace mustfm::detail {

void check(const Rule& rule, const std::string& path, double value) {
  if (rule.ok(value)) return;
  // Integral values print without a fraction, so an integer key reads "got 0", not "got 0.0".
  const bool integral = std::floor(value) == value && std::fabs(value) < 1e15;
  const std::string shown =
      integral ? std::to_string(static_cast<long long>(value)) : nlohmann::json(value).dump();
  throw InputError(path + " must be " + rule.text + ", got " + shown);
}

std::string with_rule(const std::string& type, const Rule& rule) {
  return *rule.text ? type + " " + rule.text : type;
}

JobKey prior_pairs_key(std::string description) {
  constexpr const char* path = "data.prior_pairs";
  return {
      path,
      "list of objects",
      std::move(description),
      {},
      false,
      [](const nlohmann::json& value, Job& job) {
        if (!value.is_array()) throw_wrong_type(path, "a list of objects", value);
        std::vector<PriorPair> pairs;
        for (std::size_t i = 0; i < value.size(); ++i) {
          const std::string at = std::string(path) + "[" + std::to_string(i) + "]";
          const std::vector<std::string> names = {"level", "source", "target"};
          expect_members(value[i], at, names, names);
          PriorPair pair{read_int(value[i]["level"], at + ".level"),
                         read_string(value[i]["source"], at + ".source"),
                         read_string(value[i]["target"], at + ".target")};
          check(kNonNegative, at + ".level", pair.level);
          pairs.push_back(std::move(pair));
        }
        job.data.prior_pairs = std::move(pairs);
      },
      [](const Job& job) {
        nlohmann::json list = nlohmann::json::array();
        for (const PriorPair& pair : job.data.prior_pairs)
          list.push_back({{"level", pair.level}, {"source", pair.source}, {"target", pair.target}});
        return list;
      }};
}

JobKey population_sizes_key(std::string description) {
  constexpr const char* path = "data.population_sizes";
  return {path,
          "list of objects",
          std::move(description),
          {},
          false,
          [](const nlohmann::json& value, Job& job) {
            if (!value.is_array()) throw_wrong_type(path, "a list of objects", value);
            std::vector<PopulationSize> sizes;
            for (std::size_t i = 0; i < value.size(); ++i) {
              const std::string at = std::string(path) + "[" + std::to_string(i) + "]";
              const std::vector<std::string> names = {"time", "size"};
              expect_members(value[i], at, names, names);
              PopulationSize size{read_number(value[i]["time"], at + ".time"),
                                  read_number(value[i]["size"], at + ".size")};
              check(kPositive, at + ".size", size.size);
              for (const PopulationSize& earlier : sizes)
                if (earlier.time == size.time)
                  throw InputError(std::string(path) + " lists time " +
                                   nlohmann::json(size.time).dump() + " twice");
              sizes.push_back(size);
            }
            job.data.population_sizes = std::move(sizes);
          },
          [](const Job& job) {
            nlohmann::json list = nlohmann::json::array();
            for (const PopulationSize& size : job.data.population_sizes)
              list.push_back({{"time", size.time}, {"size", size.size}});
            return list;
          }};
}

}  // namespace mustfm::detail
