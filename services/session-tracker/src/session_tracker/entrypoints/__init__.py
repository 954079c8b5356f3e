"""The public routes the tracker script calls."""
