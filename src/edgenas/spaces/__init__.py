"""Search spaces: what an architecture dict means, and the net it builds.

Each space module parses NNI's architecture dict once into a small typed structure that
the model, the figures and the report walk (as the DARTS reference code's ``Genotype``).
"""
