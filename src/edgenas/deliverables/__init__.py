"""What a study hands in: the run's facts, its tables, figures and report, the paper and
slides, the video's cards, the run's summary and the edge bundle."""
