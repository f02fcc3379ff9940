"""Screening (stages 3 and 4): reviewers' decisions, from any tool, to one per study.

- :mod:`.formats`: each tool's exports (native CSV or sheet, ASReview, Rayyan, Covidence)
  read into one vote table; :mod:`.tables` reads CSV/TSV/XLSX with true line numbers.
- :mod:`.decisions`: the ``reviewflow screen`` stage (check, map to studies, resolve).
- :mod:`.agreement`: Cohen's kappa and conflict counts.
- :mod:`.sheet`: ``reviewflow screening-sheet``, the pending studies for reviewers.

Record and DOI -> study resolution is :mod:`reviewflow.ids`.
"""

from reviewflow.screening.decisions import register, run

__all__ = ["register", "run"]
