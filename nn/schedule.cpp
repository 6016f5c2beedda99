#include "nn/schedule.h"

#include <cmath>
#include <string>

#include "kernels/common/error.h"
#include "kernels/training_clock.h"

namespace mustfm {

CosineSchedule::CosineSchedule(double lr0, double lr_final, std::int64_t total_steps)
    : lr0_(lr0), lr_final_(lr_final), total_steps_(total_steps) {
  MUSTFM_EXPECTS(total_steps > 0,
                 "cosine schedule needs a positive step count, got " + std::to_string(total_steps));
  MUSTFM_EXPECTS(std::isfinite(lr0) && lr0 >= 0.0 && std::isfinite(lr_final) && lr_final >= 0.0,
                 "cosine schedule learning rates must be finite and >= 0, got " +
                     std::to_string(lr0) + " and " + std::to_string(lr_final));
}

double CosineSchedule::learning_rate(std::int64_t t) const {
  return cosine_learning_rate(lr0_, lr_final_, total_steps_, t);
}

}  // namespace mustfm
