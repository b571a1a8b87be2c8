"""The search phase: the spaces, the target's latency table, the cheap scores, the search
strategies (halving, SPOS, DARTS) and the record they write (``genotype.json``)."""
