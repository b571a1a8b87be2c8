"""The INT8 model on a stream of the run's test images -> results/demo/demo.mp4 and its summary,
with the cards and labels in the run's language."""
from edgenas.runlog import to_log

to_log(snakemake.log[0])

from edgenas.data import load_test_subset  # noqa: E402
from edgenas.device.demo import Classifier, print_summary, run  # noqa: E402
from edgenas.device.overlay import Words  # noqa: E402
from edgenas.records import read_csv, write_json  # noqa: E402
from edgenas.words import font_for, read_words  # noqa: E402

p = snakemake.params.demo
test = load_test_subset(snakemake.input.test, **snakemake.params.test)
words = read_words(snakemake.input.words)
cards = {}
if p["card_seconds"] > 0:
    from edgenas.deliverables.cards import video_cards

    cards = dict(zip(("opening", "closing"), video_cards(read_csv(snakemake.input.bench), words)))
summary = run(test.x[: p["frames"]], Classifier(snakemake.input.model, snakemake.threads),  # RGB, as the model wants
              labels=test.y[: p["frames"]], out=snakemake.output.video, top_k=p["top_k"], height=p["height"],
              fps_out=p["fps"], card_seconds=p["card_seconds"], words=Words.of_catalogue(words, font_for(words)), **cards)
print_summary(summary)
write_json(summary, snakemake.output.summary)
