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
#include <vector>

namespace check {

struct Test {
  const char* name;
  void (*body)();
};

inline std::vector<Test>& registry() {
  static std::vector<Test> tests;
  return tests;
}
inline long checks_run = 0;
inline long checks_failed = 0;
// Printed with each failure: what a parametrised test is currently looking at ("float 7x13x11").
inline std::string context;

struct Register {
  Register(const char* name, void (*body)()) { registry().push_back({name, body}); }
};

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

// Compares n values; on failure names the worst index, which is what one needs to debug a kernel.
template <typename A, typename B>
void all_near(const A* got, const B* want, long n, long double tol, const char* file, int line, const char* what) {
  long worst = -1;
  long double worst_err = 0;
  for (long k = 0; k < n; ++k) {
    const long double err = std::fabs((long double)got[k] - (long double)want[k]);
    if (!near(got[k], want[k], tol) && (worst < 0 || !(err <= worst_err))) worst = k, worst_err = err;
  }
  std::string msg = what;
  if (worst >= 0)
    msg += " at [" + std::to_string(worst) + "]: got " + std::to_string((double)got[worst]) + ", want " +
           std::to_string((double)want[worst]);
  record(worst < 0, file, line, msg);
}

inline int run_all(const char* filter) {
  int tests = 0;
  for (const Test& t : registry()) {
    if (filter && std::string(t.name).find(filter) == std::string::npos) continue;
    ++tests;
    const long failed_before = checks_failed;
    context.clear();
    try {
      t.body();
    } catch (const std::exception& e) {
      record(false, t.name, 0, std::string("unexpected exception: ") + e.what());
    }
    if (checks_failed != failed_before) std::fprintf(stderr, "  in test %s\n", t.name);
  }
  std::printf("%d tests, %ld checks, %ld failed\n", tests, checks_run, checks_failed);
  return (checks_failed == 0 && tests > 0) ? 0 : 1;  // running nothing is a failure, not a pass
}

}  // namespace check

#define TEST(name)                                            \
  static void name();                                         \
  static const check::Register name##_registered(#name, name); \
  static void name()

#define CHECK(cond) check::record(static_cast<bool>(cond), __FILE__, __LINE__, #cond)

#define CHECK_NEAR(got, want, tol)                                                                              \
  do {                                                                                                          \
    const long double got_ = (got), want_ = (want);                                                             \
    check::record(check::near(got_, want_, (tol)), __FILE__, __LINE__,                                          \
                  std::string(#got " near " #want ": got ") + std::to_string((double)got_) + ", want " +         \
                      std::to_string((double)want_));                                                           \
  } while (0)

// got and want are pointers to n values each.
#define CHECK_ALL_NEAR(got, want, n, tol) check::all_near((got), (want), long(n), (tol), __FILE__, __LINE__, #got " vs " #want)

// expr must throw type (or a subclass) and its message must contain text ("" matches anything).
#define CHECK_THROWS_WITH(expr, type, text)                                                                     \
  do {                                                                                                          \
    std::string outcome_ = "no exception";                                                                      \
    bool ok_ = false;                                                                                           \
    try {                                                                                                       \
      (void)(expr);                                                                                             \
    } catch (const type& e_) {                                                                                  \
      ok_ = std::string(e_.what()).find(text) != std::string::npos;                                             \
      outcome_ = std::string("message \"") + e_.what() + "\"";                                                  \
    } catch (const std::exception& e_) {                                                                        \
      outcome_ = std::string("another exception: ") + e_.what();                                                \
    }                                                                                                           \
    check::record(ok_, __FILE__, __LINE__, #expr " throws " #type " with \"" + std::string(text) + "\"; got " + outcome_); \
  } while (0)
#define CHECK_THROWS(expr, type) CHECK_THROWS_WITH(expr, type, "")

int main(int argc, char** argv) { return check::run_all(argc > 1 ? argv[1] : nullptr); }
