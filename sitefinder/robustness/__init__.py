"""How robust a ranking is: the uncertain inputs and their draws, the Monte Carlo engine, the robust
shortlist and the value of information."""
