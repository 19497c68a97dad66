"""atheris harness: fuzzed calls through densenn's Python API and its _core bindings (see bindings_driver.py).

Run it against the extension built with ASan + UBSan, so that a memory error in C++ is a crash
(tests/fuzz/README.md has the commands):

    python tests/fuzz/fuzz_bindings.py -max_total_time=620 -rss_limit_mb=2048 -timeout=30 CORPUS_DIR

Every input either passes the contract of bindings_driver.run_one or is a finding: atheris stops
and writes the input to crash-<sha1>, which tests/test_fuzz_regressions.py can then replay.
"""

import os
import sys

import atheris

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# Coverage of the Python layer guides the fuzzer (the C++ core is reached through it).
with atheris.instrument_imports(include=["densenn", "bindings_driver"]):
    import bindings_driver


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris looks for
    bindings_driver.run_one(data)


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
