"""reviewflow: rebuild a systematic review from its raw search exports.

One module per pipeline stage (see docs/architecture.md):
ingest -> dedup -> screening -> prisma -> (notebooks) -> results -> render.
"""

__version__ = "0.1.0"
