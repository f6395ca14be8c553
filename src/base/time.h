// Time: an injectable Clock, RFC 3339 formatting/parsing as Kubernetes writes
// it, and kubectl-style humanized durations for Table "Age" cells.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

#include "base/status.h"

namespace skiff {

using SystemTime = std::chrono::system_clock::time_point;

// Wall-clock source. Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual SystemTime Now() const = 0;
  // Monotonic time for deadlines and latency.
  virtual std::chrono::steady_clock::time_point Steady() const = 0;
};

class RealClock final : public Clock {
 public:
  SystemTime Now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point Steady() const override {
    return std::chrono::steady_clock::now();
  }
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(SystemTime start = SystemTime(std::chrono::seconds(1700000000)));
  SystemTime Now() const override;
  std::chrono::steady_clock::time_point Steady() const override;
  void Advance(std::chrono::nanoseconds d);

 private:
  mutable std::mutex mu_;
  SystemTime now_;
  std::chrono::steady_clock::time_point steady_;
};

// "2025-01-02T03:04:05Z"; `fraction_digits` 0 (Time), 6 (MicroTime) or 9.
std::string FormatRfc3339(SystemTime t, int fraction_digits = 0);
// Accepts "Z" or "+hh:mm" offsets and optional fractional seconds.
StatusOr<SystemTime> ParseRfc3339(std::string_view s);
// kubectl's duration.HumanDuration: "45s", "5m12s", "3h4m", "2d5h", "400d", "3y45d".
std::string HumanDuration(std::chrono::nanoseconds d);

}  // namespace skiff
