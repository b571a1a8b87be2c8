"""A one-node SLURM cluster on 127.0.0.1 for the tests: munge, slurmctld and slurmd as root,
their state in a temporary folder, stopped by PID whatever happens.

The SLURM executor plugin strips every ``SLURM_*`` variable inside a job before its own
``srun``, so the configuration must also be found at ``/etc/slurm/slurm.conf``: a link made
here and removed at the end (an existing file there is left alone and the cluster not started).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

DAEMONS = ("munged", "slurmctld", "slurmd", "sinfo", "sbatch", "squeue")
ETC_CONF = Path("/etc/slurm/slurm.conf")
MIN_JOB_AGE = 900  # seconds a finished job stays visible to squeue (the status command here, and the test's check)


class Unavailable(RuntimeError):
    """SLURM is not installed here, or may not be touched: the message says why and how to install it
    (tests skip with it locally and fail with it in CI). A cluster that is installed but does not
    start raises ClusterFault: that is a failure everywhere."""


class ClusterFault(RuntimeError):
    """A daemon died, or the node never became idle."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def detected_memory_mb() -> int:
    """RealMemory must not exceed what slurmd detects, or the node is drained."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True).stdout
    return int(out.split("RealMemory=")[1].split()[0])


@contextmanager
def cluster(folder: Path) -> Iterator[dict]:
    """Start munge, slurmctld and slurmd; yield the environment and facts a run needs."""
    missing = [d for d in DAEMONS if not shutil.which(d) and not Path(f"/usr/sbin/{d}").exists()]
    if missing:
        raise Unavailable(f"no {', '.join(missing)} here (.ci/run installs Debian's slurmctld slurmd slurm-client munge)")
    if os.geteuid() != 0:
        raise Unavailable("the test cluster runs its daemons as root")
    if ETC_CONF.is_symlink() and (not ETC_CONF.exists() or "ClusterName=edgenas" in ETC_CONF.read_text()):
        ETC_CONF.unlink()  # this helper's own link, left by a test run that was killed
    if ETC_CONF.exists() or ETC_CONF.is_symlink():
        raise Unavailable(f"{ETC_CONF} exists: a real SLURM installation is configured here; not touching it")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "munge.key").write_bytes(os.urandom(1024))
    (folder / "munge.key").chmod(0o400)
    for sub in ("state", "spool", "log"):
        (folder / sub).mkdir(exist_ok=True)
    sock = folder / "munge.socket"
    cpus = os.cpu_count()
    conf = folder / "slurm.conf"
    conf.write_text(f"""ClusterName=edgenas
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
AuthType=auth/munge
AuthInfo=socket={sock}
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={folder / 'state'}
SlurmdSpoolDir={folder / 'spool'}
SlurmctldPidFile={folder / 'slurmctld.pid'}
SlurmdPidFile={folder / 'slurmd.pid'}
SlurmctldLogFile={folder / 'log/slurmctld.log'}
SlurmdLogFile={folder / 'log/slurmd.log'}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MinJobAge={MIN_JOB_AGE}
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={detected_memory_mb()} State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
""")
    env = dict(os.environ, SLURM_CONF=str(conf))
    procs: list[subprocess.Popen] = []
    linked = False
    try:
        ETC_CONF.parent.mkdir(parents=True, exist_ok=True)
        ETC_CONF.symlink_to(conf)
        linked = True
        procs.append(subprocess.Popen(
            ["munged", "--force", "--foreground", f"--socket={sock}", f"--key-file={folder / 'munge.key'}",
             f"--pid-file={folder / 'munged.pid'}", f"--log-file={folder / 'log/munged.log'}",
             f"--seed-file={folder / 'munged.seed'}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        wait_for(lambda: sock.exists(), 10, "munged did not open its socket", procs[-1])
        procs.append(subprocess.Popen(["slurmctld", "-D", "-i", "-f", str(conf)], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        procs.append(subprocess.Popen(["slurmd", "-D", "-N", "localhost", "-f", str(conf)], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))

        def idle() -> bool:
            out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=env).stdout
            return out.strip() == "idle"

        wait_for(idle, 30, "the node did not become idle", *procs)
        yield {"env": env, "partition": "test", "cpus": cpus, "conf": conf, "log": folder / "log"}
    finally:
        subprocess.run(["scancel", "--full", "-u", "root"], env=env, capture_output=True)
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if linked:
            ETC_CONF.unlink()


def wait_for(ready, seconds: float, message: str, *procs: subprocess.Popen) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if ready():
            return
        for proc in procs:
            if proc.poll() is not None:
                raise ClusterFault(f"{message}: {proc.args[0]} exited: {proc.stderr.read().decode()[-500:]}")
        time.sleep(0.2)
    raise ClusterFault(message)
