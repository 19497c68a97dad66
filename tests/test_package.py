"""The installed package: version, the CMake package for C++ users, the command line, type stubs."""

import re
import subprocess
import sys
from pathlib import Path

import densenn as dn
from densenn.__main__ import cmake_dir

PACKAGE = Path(dn.__file__).resolve().parent


def run(*args):
    command = [sys.executable, "-m", "densenn", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True)


def test_one_version_everywhere():
    assert re.fullmatch(r"\d+\.\d+\.\d+", dn.__version__)
    assert run("--version").stdout.strip() == f"densenn {dn.__version__}"
    header = (PACKAGE / "include" / "densenn" / "version.hpp").read_text()
    assert f'#define DENSENN_VERSION "{dn.__version__}"' in header
    version_file = (cmake_dir() / "densennConfigVersion.cmake").read_text()
    assert f'set(PACKAGE_VERSION "{dn.__version__}")' in version_file


def test_cmakedir_holds_the_cmake_package():
    printed = Path(run("--cmakedir").stdout.strip())
    assert printed == cmake_dir()
    assert (printed / "densennConfig.cmake").is_file()
    assert (printed / "densennTargets.cmake").is_file()
    assert "densenn::densenn" in (printed / "densennTargets.cmake").read_text()
    assert any((PACKAGE / "lib").glob("*densenn*"))
    assert (PACKAGE / "include" / "densenn" / "densenn.hpp").is_file()


def test_headers_know_nothing_of_python():
    for header in (PACKAGE / "include" / "densenn").glob("*.hpp"):
        assert "pybind11" not in header.read_text() and "Python.h" not in header.read_text(), header.name


def test_typing_files_ship():
    assert (PACKAGE / "py.typed").is_file()
    assert "class Dense_float32" in (PACKAGE / "_core.pyi").read_text()


def test_every_public_name_has_a_docstring():
    for name in dn.__all__:
        obj = getattr(dn, name)
        if callable(obj):
            assert obj.__doc__ and obj.__doc__.strip(), name
            for attr, member in vars(obj).items() if isinstance(obj, type) else ():
                if not attr.startswith("_") and (callable(member) or isinstance(member, property)):
                    assert member.__doc__ and member.__doc__.strip(), f"{name}.{attr}"
