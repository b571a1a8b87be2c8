"""What a run tells its user when it ends: a failure names its jobs and logs; an interrupt reads as one."""
from edgenas.deliverables.summary import failure_summary
from edgenas.words import load_words


def test_an_interrupt_reads_as_one_and_names_the_command_to_resume(tmp_path):
    """Ctrl-C is not a failure of the job it stopped: the message says so, and names the command to run
    again (with --rerun-incomplete for where Snakemake asks for it)."""
    log = tmp_path / "snakemake.log"
    log.write_text("Terminating processes on user request, this might take some time.\n"
                   "Error in rule train_control:\n    log: logs/train_control/random1.log (check log file(s) for error details)\n")
    for lang in ("en", "vi"):
        text = failure_summary(log, load_words(lang), command=["--cores", "2", "--config", "data={dataset: imagefolder}"])
        assert "snakemake --cores 2 --config 'data={dataset: imagefolder}'" in text and "--rerun-incomplete" in text
        assert "train_control" not in text
    assert failure_summary(log, load_words("en"), command=[]).startswith("edgenas: interrupted; run the same command")


def test_a_failure_names_its_job_its_log_and_why(tmp_path):
    (tmp_path / "logs/train_control").mkdir(parents=True)
    (tmp_path / "logs/train_control/random1.log").write_text("epoch 1/28: ...\nValueError: something broke\n")
    log = tmp_path / "snakemake.log"
    log.write_text("Building DAG of jobs...\nError in rule train_control:\n    log: logs/train_control/random1.log (check log file(s))\n")
    text = failure_summary(log, load_words("en"), root=tmp_path)
    assert "the run failed in train_control" in text and "ValueError: something broke" in text
