"""How to hand a result on: export files, the printable brief and its static map, "why not here?",
two scenarios compared, and the reference tables the docs show."""
