"""An emulated Python with ONNX Runtime: a target's INT8 kernels without the target.

Two kinds. **Arm** (``cortex-a76``, the Pi 5's core, and other Cortex cores): QEMU user-mode emulation runs Debian's arm64 CPython with the aarch64 wheels of this
workstation's onnxruntime and numpy (and OpenCV, for the demo). Nothing ARM runs while it is
assembled: Debian's packages are resolved by a private apt configuration (the host's dpkg is
untouched) and unpacked with ``dpkg-deb -x``; the wheels are unzipped. Two things make ONNX
Runtime start under QEMU: a fake aarch64 ``/proc/cpuinfo`` whose CPU part is the emulated
core (QEMU passes the host's x86 one through, and ONNX Runtime's CPU detection then finds no
ARM core and crashes; QEMU's ``-L`` prefix serves any absolute path that exists under the
root), and ``sys.executable`` pointed at the wrapper, so a subprocess of the emulated Python
is emulated too. **x86 without VNNI** (``haswell``: AVX2, no AVX-512, no VNNI, like laptops of
Intel before Ice Lake and AMD before Zen 4): this machine's own Python, in a virtual environment
that sees its packages, run by QEMU as a Haswell CPU, so ONNX Runtime dispatches to its AVX2
kernels (which add u8 x s8 pairs into saturating 16-bit lanes) whatever this machine has.
Emulation is orders of magnitude slower than native (docs/decisions.md): its latencies mean nothing, its outputs are the
emulated CPU's kernels'.

    edgenas emulated-python --cpu cortex-a76 --cache resources/emulator   # prints the wrapper's path
    edgenas emulated-python --cpu haswell
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from ..errors import ConfigError, UserFacingError

# Arm's CPU part numbers (the MIDR field /proc/cpuinfo shows), for the cores QEMU 7.2 emulates.
CPU_PARTS = {"cortex-a53": "0xd03", "cortex-a55": "0xd05", "cortex-a57": "0xd07", "cortex-a72": "0xd08",
             "cortex-a76": "0xd0b", "neoverse-n1": "0xd0c"}
# x86 CPUs, as QEMU's -cpu models without the features its TCG cannot run (it warns of each)
X86_CPUS = {"haswell": "Haswell-noTSX,-pcid,-x2apic,-tsc-deadline,-invpcid"}
CPUS = [*CPU_PARTS, *X86_CPUS]
DEFAULT_CPU = "cortex-a76"  # the Raspberry Pi 5's core
CORES = 4                   # as many as a Pi 5 shows
DEBIAN_SUITE = "bookworm"   # its CPython 3.11 matches the wheels' cp311 tag
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
DEBIAN_PACKAGES = ["python3.11-minimal", "libpython3.11-stdlib", "libstdc++6"]
PYTHON = "usr/bin/python3.11"
SITE = "usr/lib/python3/dist-packages"  # on the path of Debian's Python
PLATFORMS = ["manylinux_2_28_aarch64", "manylinux_2_27_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"]


class EmulatorError(UserFacingError, RuntimeError):
    """The emulated Python could not be built or started; the message says what is missing."""


class EmulatorUnavailable(EmulatorError):
    """What the build needs is not on this machine or not reachable from it (QEMU, apt, Debian's
    archive, PyPI): the message names it and how to install it. Any other EmulatorError is a fault."""


def qemu(arch: str = "aarch64") -> str:
    for name in (f"qemu-{arch}-static", f"qemu-{arch}"):
        path = shutil.which(name)
        if path:
            return path
    raise EmulatorUnavailable(f"qemu-{arch}-static not found: install QEMU's user-mode emulator "
                        "(Debian/Ubuntu: sudo apt-get install qemu-user-static)")


def wheel_versions(opencv: bool) -> dict[str, str]:
    """The workstation's versions of what the device program needs: the emulated target runs
    what this machine runs, so an accuracy difference is the kernels', not a version's."""
    names = ["onnxruntime", "numpy"] + (["opencv-python-headless"] if opencv else [])
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError as err:
            raise EmulatorError(f"{name} is not installed here; the emulated Python takes this machine's version "
                                f"of it (pip install {name})") from err
    return versions


def cpuinfo(cpu: str) -> str:
    """An aarch64 /proc/cpuinfo of ``CORES`` cores of ``cpu``, with a Model line that says it is emulated."""
    core = ("BogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid "
            f"asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x4\n"
            f"CPU part\t: {CPU_PARTS[cpu]}\nCPU revision\t: 1\n")
    return "".join(f"processor\t: {i}\n{core}\n" for i in range(CORES)) + f"Model\t\t: QEMU-emulated {cpu} (aarch64)\n"


def _run(cmd: list[str], what: str, timeout: int = 900) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise EmulatorError(f"{what} failed ({' '.join(cmd[:2])} ...):\n{(proc.stderr or proc.stdout).strip()[-1500:]}")


def debian_root(root: Path, work: Path, mirror: str) -> None:
    """Debian's arm64 CPython and its libraries unpacked into ``root``, resolved by apt with a
    private state folder (arm64 only, nothing installed on this machine)."""
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise EmulatorUnavailable("apt-get and dpkg-deb not found: the ARM64 Python is assembled from Debian's arm64 "
                            "packages with them (a Debian or Ubuntu machine)")
    if not Path(DEBIAN_KEYRING).is_file():
        raise EmulatorUnavailable(f"{DEBIAN_KEYRING} not found: apt checks Debian's signatures with it "
                            "(sudo apt-get install debian-archive-keyring)")
    apt = work / "apt"
    for sub in ("etc/apt/sources.list.d", "etc/apt/preferences.d", "etc/apt/apt.conf.d", "var/lib/apt/lists/partial",
                "var/cache/apt/archives/partial", "var/lib/dpkg"):
        (apt / sub).mkdir(parents=True, exist_ok=True)
    (apt / "var/lib/dpkg/status").touch()
    (apt / "etc/apt/sources.list.d/debian.sources").write_text(
        f"Types: deb\nURIs: {mirror}\nSuites: {DEBIAN_SUITE}\nComponents: main\nArchitectures: arm64\n"
        f"Signed-By: {DEBIAN_KEYRING}\n")
    options = ["-o", f"Dir={apt}", "-o", f"Dir::State::status={apt}/var/lib/dpkg/status",
               "-o", "APT::Architecture=arm64", "-o", "APT::Architectures::=arm64", "-o", "APT::Sandbox::User=root",
               "-o", "Debug::NoLocking=1", "-o", "Dir::Etc::Trusted=/nonexistent",
               "-o", "Dir::Etc::TrustedParts=/nonexistent", "-qq"]
    proc = subprocess.run(["apt-get", *options, "update"], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or not any((apt / "var/lib/apt/lists").glob("*Packages*")):
        raise EmulatorUnavailable(f"cannot read Debian's arm64 package index from {mirror} (no network to the Debian "
                            f"archive? set --mirror): {(proc.stderr or proc.stdout).strip()[-800:]}")
    _run(["apt-get", *options, "-y", "--download-only", "--no-install-recommends", "install", *DEBIAN_PACKAGES],
         f"downloading Debian's arm64 {', '.join(DEBIAN_PACKAGES)} from {mirror}")
    for deb in sorted((apt / "var/cache/apt/archives").glob("*.deb")):
        _run(["dpkg-deb", "-x", str(deb), str(root)], f"unpacking {deb.name}")
    if not (root / PYTHON).exists():
        raise EmulatorError(f"Debian's arm64 packages did not bring {PYTHON}")


def add_wheels(root: Path, work: Path, versions: dict[str, str]) -> None:
    """The aarch64 wheels of ``versions`` from PyPI, unzipped onto the emulated Python's path."""
    wheels = work / "wheels"
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--python-version", "3.11",
           "--implementation", "cp", *[a for p in PLATFORMS for a in ("--platform", p)], "-d", str(wheels),
           *[f"{name}=={version}" for name, version in versions.items()]]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise EmulatorUnavailable("cannot download the aarch64 wheels of "
                            f"{', '.join(f'{n}=={v}' for n, v in versions.items())} from PyPI (no network to it, or "
                            f"no aarch64 wheel of that version): {proc.stderr.strip()[-800:]}")
    for wheel in sorted(wheels.glob("*.whl")):
        with zipfile.ZipFile(wheel) as z:
            z.extractall(root / SITE)
    for lib in (root / SITE).rglob("*.so*"):  # zip does not keep the executable bit
        lib.chmod(0o755)


def write_wrapper(folder: Path, root: Path, cpu: str) -> Path:
    """``folder/python``: runs the emulated Python on ``cpu``, with nothing of this machine's own
    Python environment (its user site and PYTHONPATH hold x86 packages). Also what makes it run:
    the root's fake ``/proc/cpuinfo`` for ``cpu`` and the ``.pth`` that makes ``sys.executable``
    the wrapper."""
    wrapper = folder / "python"
    wrapper.write_text("#!/bin/sh\n# The emulated ARM64 Python of edgenas (edgenas emulated-python); argv as python's.\n"
                       f"exec env -u PYTHONPATH -u PYTHONHOME PYTHONNOUSERSITE=1 QEMU_CPU={cpu} EDGENAS_EMULATED={cpu} "
                       f"'{qemu()}' -L '{root}' '{root / PYTHON}' \"$@\"\n")
    wrapper.chmod(0o755)
    (root / SITE / "edgenas_emulated.pth").write_text(
        f"import sys; sys.executable = sys._base_executable = {str(wrapper)!r}\n")
    (root / "proc").mkdir(exist_ok=True)
    (root / "proc/cpuinfo").write_text(cpuinfo(cpu))
    return wrapper


def host_site_dirs() -> list[str]:
    """Where this Python finds its packages (a virtual environment's own, or the system's): what the
    emulated x86 Python must see, so it runs the same onnxruntime and numpy as the workflow."""
    import site

    dirs = [*site.getsitepackages(), *([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])]
    return [d for d in dict.fromkeys(dirs) if Path(d).is_dir()]


def x86_venv(folder: Path, cpu: str) -> Path:
    """``folder/python``: this machine's Python, in a virtual environment that sees the packages of the
    environment edgenas runs in (``host_site_dirs``: from a virtual environment too, not only the base
    interpreter's), run by QEMU as ``cpu``; the venv's ``.pth`` makes ``sys.executable`` the wrapper."""
    venv = folder / "venv"
    _run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)], "creating the virtual environment")
    site_dir = next(venv.glob("lib/python*/site-packages"))
    wrapper = folder / "python"
    wrapper.write_text(f"#!/bin/sh\n# This machine's Python as an emulated {cpu} (edgenas emulated-python); argv as "
                       f"python's.\nexec env EDGENAS_EMULATED={cpu} QEMU_CPU={X86_CPUS[cpu]} '{qemu('x86_64')}' "
                       f"'{venv / 'bin/python'}' \"$@\"\n")
    wrapper.chmod(0o755)
    # addsitedir, not a bare path: the host's own .pth files (an editable install's) are read too
    (site_dir / "edgenas_emulated.pth").write_text(
        f"import sys, site; sys.executable = sys._base_executable = {str(wrapper)!r}; "
        + "; ".join(f"site.addsitedir({d!r})" for d in host_site_dirs()) + "\n")
    return wrapper


def check(wrapper: Path, machine: str = "aarch64") -> dict:
    """Start the emulated Python once: it must report ``machine`` and import onnxruntime and numpy."""
    code = ("import json, platform, sys, numpy, onnxruntime; print(json.dumps({'machine': platform.machine(), "
            "'python': platform.python_version(), 'onnxruntime': onnxruntime.__version__, "
            "'numpy': numpy.__version__, 'executable': sys.executable}))")
    proc = subprocess.run([str(wrapper), "-c", code], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise EmulatorError(f"{wrapper}: the emulated Python does not start (rc {proc.returncode}): "
                            f"{proc.stderr.strip()[-800:]}")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    if info["machine"] != machine:
        raise EmulatorError(f"{wrapper}: reports {info['machine']!r}, not {machine}")
    return info


def build(cache: str | Path, cpu: str = DEFAULT_CPU, *, opencv: bool = True, mirror: str = DEBIAN_MIRROR) -> Path:
    """The emulated ARM64 Python for ``cpu`` under ``cache/cpu``, built once: a later call with
    the same core, versions and mirror returns the same wrapper at once. The root is built in
    place (the wrapper names its path) and ``manifest.json`` is written last: a failed build is
    removed, and one killed midway has no manifest, so the next call starts it afresh."""
    if cpu not in CPUS:
        raise ConfigError(f"emulated cpu {cpu!r} is not one of {', '.join(CPUS)}")
    x86 = cpu in X86_CPUS
    qemu("x86_64" if x86 else "aarch64")
    versions = wheel_versions(opencv)
    folder = Path(cache).resolve() / cpu
    manifest = ({"cpu": cpu, "qemu_cpu": X86_CPUS[cpu], "python": sys._base_executable, "sites": host_site_dirs(),
                 "packages": versions} if x86
                else {"cpu": cpu, "suite": DEBIAN_SUITE, "mirror": mirror, "packages": DEBIAN_PACKAGES, "wheels": versions})
    done = folder / "manifest.json"
    if done.is_file() and json.loads(done.read_text()).get("build") == manifest and (folder / "python").is_file():
        return folder / "python"
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{cpu}.", dir=folder.parent))
    try:
        # the wrapper names the root's final path, so the root is built where it will stay
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        if x86:
            wrapper = x86_venv(folder, cpu)
        else:
            root = folder / "root"
            debian_root(root, staging, mirror)
            add_wheels(root, staging, versions)
            wrapper = write_wrapper(folder, root, cpu)
        info = check(wrapper, "x86_64" if x86 else "aarch64")
        done.write_text(json.dumps({"build": manifest, "check": info}, indent=2))
        return wrapper
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="edgenas emulated-python", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--cpu", default=DEFAULT_CPU, choices=CPUS, help="the emulated CPU (cortex-a76: the Pi 5's core)")
    ap.add_argument("--cache", default=os.path.join("resources", "emulator"), help="folder the build goes under")
    ap.add_argument("--mirror", default=DEBIAN_MIRROR, help="Debian mirror the arm64 packages come from (Arm only)")
    ap.add_argument("--no-opencv", dest="opencv", action="store_false",
                    help="leave out OpenCV, which only the demo needs (opencv: %(default)s)")
    args = ap.parse_args(argv)
    try:
        print(build(args.cache, args.cpu, opencv=args.opencv, mirror=args.mirror))
    except UserFacingError as err:
        print(f"edgenas emulated-python: {err}", file=sys.stderr)
        return 1
    return 0
