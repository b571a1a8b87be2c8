"""What a finished run tells its user: the final model, the study's verdicts and where the results
are, printed when the workflow ends (and by ``edgenas summary``); on a failure, the failed jobs and
their logs. The words come from the run's language catalogue (``words.<language>.yaml``)."""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from ..words import load_words

FACTS = "results/report/facts.json"
DELIVERABLES = {"report": "results/report/report.html", "paper": "results/report/paper.pdf",
                "slides": "results/report/slides.pdf", "video": "results/demo/demo.mp4", "bundle": "results/edge"}


def run_summary(facts: dict, words: dict, root: str | Path = ".") -> str:
    """The summary of a finished run from its facts file (``facts.json``)."""
    from .numbers import change, ms, pct, ratio
    from .numbers import few

    w, lang = words["summary"], facts["language"]
    b = facts["report"]["targets"][0]
    c, nas = b["compression"], b["nas"]
    wiring = facts["report"].get("wiring")
    lines = [w["title"], *([w["wiring"].format(train=wiring["train_n"], test=wiring["test_n"])] if wiring else []),
             w["final"].format(
        target=b["target"], threads=b["threads"], accuracy=pct(nas["accuracy"], lang), ms=ms(nas["ms"], lang),
        size=f"{nas['size_mb']:.3f}".replace(".", "," if lang == "vi" else "."),
        speed=ratio(c["final"][0]["speedup"], lang), smaller=ratio(c["smaller"], lang), points=change(c["points"], lang))]
    lines.append(w["front_yes"] if nas["on_front"] else w["front_no"].format(by=few(nas["dominated_by"], lang)))
    r = b["random"]
    if r is None:
        lines.append(w["nas_none"])
    elif r["verdict"] is None:
        lines.append(w["nas_few"].format(n=r["randoms"], points=change(r["vs_best_points"], lang),
                                         se=change(100 * r["difference_se"], lang).lstrip("+")))
    else:
        lines.append(w["nas_beat" if r["verdict"] else "nas_not"].format(
            n=r["randoms"], points=change(r["vs_best_points"], lang), mean_points=change(r["vs_mean_points"], lang)))
    r = b.get("random_at_final")
    if r:
        says = "few" if r["verdict"] is None else "beat" if r["verdict"] else "not"
        lines.append(w["at_final"].format(says=w["at_final_says"][says], n=r["randoms"],
                                          points=change(r["vs_best_points"], lang), mean_points=change(r["vs_mean_points"], lang),
                                          se=change(100 * r["difference_se"], lang).lstrip("+")))
    verdicts = b["decomposition"]["verdicts"]
    if not {"nas_at_final", "pruned_scratch"} & set(verdicts):
        lines.append(w["compression_none"])
    for control, line in (("nas_at_final", "compression_beyond"), ("pruned_scratch", "compression_scratch")):
        if control in verdicts:
            v = verdicts[control]
            lines.append(w[line].format(points=change(v["points"], lang), se=change(v["se"], lang).lstrip("+"),
                                        paired=w["paired"] if v.get("paired") else "", says=w["says"][v["says"]]))
    lines.append(w["paths"])
    lines += ["  " + w[key].format(path=Path(root, path)) for key, path in DELIVERABLES.items()
              if Path(root, path).exists()]
    return "\n".join(lines)


def failed_jobs(snakemake_log: str | Path | list) -> list[tuple[str, str]]:
    """(rule, log file) of every job Snakemake's own log reports as failed (``snakemake_log``: the
    log's path, or the list of them an onerror handler gets)."""
    paths = [Path(p) for p in (snakemake_log if isinstance(snakemake_log, (list, tuple)) else [snakemake_log])]
    text = "\n".join(p.read_text(errors="replace") for p in paths if p.is_file())
    found = []
    for block in re.split(r"\n(?=Error in rule )", text)[1:]:
        rule = re.match(r"Error in rule (\w+):", block).group(1)
        log = re.search(r"^\s+log: (\S+)", block, re.M)
        found.append((rule, log.group(1) if log else ""))
    return found


INTERRUPTED = "Terminating processes on user request"  # what Snakemake logs on Ctrl-C


def interrupted(snakemake_log: str | Path | list) -> bool:
    """Whether the run stopped because its user pressed Ctrl-C (or the shell sent SIGINT)."""
    paths = [Path(p) for p in (snakemake_log if isinstance(snakemake_log, (list, tuple)) else [snakemake_log])]
    return any(INTERRUPTED in p.read_text(errors="replace") for p in paths if p.is_file())


def failure_summary(snakemake_log: str | Path | list, words: dict, root: str | Path = ".",
                    command: list[str] | None = None) -> str:
    """The failed jobs, their logs, and the last line of each log that says why; on an interrupt, how
    to resume (``command``: the run's own arguments, so the message can name the command to repeat)."""
    if interrupted(snakemake_log):
        import shlex

        again = "snakemake " + " ".join(shlex.quote(a) for a in (command or []))
        return words["summary"]["interrupted"].format(command=again.strip())
    jobs = failed_jobs(snakemake_log)
    if not jobs:
        return ""
    lines = [words["summary"]["failed"].format(jobs=", ".join(r for r, _ in jobs),
                                               logs=", ".join(log for _, log in jobs if log) or "-")]
    for _, log in jobs:
        path = Path(root, log)
        if log and path.is_file():
            reason = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
            if reason:
                lines.append(f"  {log}: {reason[-1].strip()[:400]}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="edgenas summary", description="Print a finished run's summary again: the "
                                 "final model, the study's verdicts and where the results are.",
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("folder", nargs="?", default=".", help="the run's folder (where results/ is)")
    ap.add_argument("--templates", default=None,
                    help="folder of the word catalogues (words.<language>.yaml); the workflow's own when not given")
    args = ap.parse_args(argv)
    from ..records import read_json

    facts_path = Path(args.folder, FACTS)
    if not facts_path.is_file():
        print(f"edgenas summary: {facts_path} not found: no finished run in {args.folder} "
              "(run the workflow first: snakemake --cores all)", file=sys.stderr)
        return 1
    facts = read_json(facts_path)
    folders = [Path(args.templates)] if args.templates else []
    print(run_summary(facts, load_words(facts["language"], folders), args.folder))
    return 0
