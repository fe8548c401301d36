"""How good each place is: scoring (weighted sum and TOPSIS), fast re-scoring, the study that holds the
criteria matrix, the shortlist and its metadata."""
