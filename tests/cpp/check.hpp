// A tiny dependency-free test checker: CHECK macros, a registry of TEST functions, and main().
//
// Include it in exactly one .cpp per test executable (it defines main). A failed check prints
// file:line and the test goes on, so one run shows every failure; main returns 1 if any failed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace check {

using Test = std::pair<const char*, void (*)()>;  // name, body
inline std::vector<Test>& registry() {
  static std::vector<Test> tests;  // a function-local static, so TESTs may register from static init
  return tests;
}
struct Register {
  Register(const char* name, void (*body)()) { registry().emplace_back(name, body); }
};

inline long checks_run = 0, checks_failed = 0;
inline std::string context;  // printed with each failure: what a parametrised test is looking at

inline void record(bool ok, const char* file, int line, const std::string& what) {
  ++checks_run;
  if (ok) return;
  ++checks_failed;
  std::fprintf(stderr, "%s:%d: FAILED: %s%s%s\n", file, line, what.c_str(), context.empty() ? "" : " -- ",
               context.c_str());
}

// |got - want| <= tol * max(1, |want|): relative for large values, absolute near zero. NaN fails.
inline bool near(long double got, long double want, long double tol) {
  return std::fabs(got - want) <= tol * std::max(1.0L, std::fabs(want));
}

// n values each; a failure names the first bad index, which is what one needs to debug a kernel.
template <typename A, typename B>
void all_near(const A* got, const B* want, long n, long double tol, const char* file, int line, const char* what) {
  long k = 0;
  while (k < n && near(got[k], want[k], tol)) ++k;
  if (k == n) return record(true, file, line, what);
  char values[80];
  std::snprintf(values, sizeof values, "]: got %.10Lg, want %.10Lg", (long double)got[k], (long double)want[k]);
  record(false, file, line, std::string(what) + " at [" + std::to_string(k) + values);
}

inline void near_one(long double got, long double want, long double tol, const char* file, int line, const char* what) {
  all_near(&got, &want, 1, tol, file, line, what);
}

// True if f throws E (or a subclass) with `text` in its message; `outcome` says what happened.
template <typename E, typename F>
bool throws(F f, const char* text, std::string& outcome) {
  try {
    f();
    outcome = "no exception";
  } catch (const E& e) {
    outcome = std::string("\"") + e.what() + "\"";
    return std::string(e.what()).find(text) != std::string::npos;
  } catch (const std::exception& e) {
    outcome = std::string("another exception \"") + e.what() + "\"";
  }
  return false;
}

inline int run_all(const char* filter) {
  int tests = 0;
  for (const auto& [name, body] : registry()) {
    if (filter && std::string(name).find(filter) == std::string::npos) continue;
    ++tests;
    context.clear();
    const long failed_before = checks_failed;
    try {
      body();
    } catch (const std::exception& e) {
      record(false, name, 0, std::string("unexpected exception: ") + e.what());
    }
    if (checks_failed != failed_before) std::fprintf(stderr, "  in test %s\n", name);
  }
  std::printf("%d tests, %ld checks, %ld failed\n", tests, checks_run, checks_failed);
  return checks_failed == 0 && tests > 0 ? 0 : 1;  // running no test is a failure, not a pass
}

}  // namespace check

#define TEST(name)                                             \
  static void name();                                          \
  static const check::Register name##_registered(#name, name); \
  static void name()

#define CHECK(cond) check::record(static_cast<bool>(cond), __FILE__, __LINE__, #cond)
#define CHECK_NEAR(got, want, tol) check::near_one((got), (want), (tol), __FILE__, __LINE__, #got " vs " #want)
#define CHECK_ALL_NEAR(got, want, n, tol) \
  check::all_near((got), (want), long(n), (tol), __FILE__, __LINE__, #got " vs " #want)
// `text` is a string literal that the message must contain ("" matches any message).
#define CHECK_THROWS_WITH(expr, type, text)                                                          \
  do {                                                                                               \
    std::string outcome_;                                                                            \
    const bool ok_ = check::throws<type>([&] { (void)(expr); }, text, outcome_);                     \
    check::record(ok_, __FILE__, __LINE__, #expr " throws " #type " \"" text "\"; got " + outcome_); \
  } while (0)
#define CHECK_THROWS(expr, type) CHECK_THROWS_WITH(expr, type, "")

int main(int argc, char** argv) { return check::run_all(argc > 1 ? argv[1] : nullptr); }
