"""What a user can say: the vocabulary, the settings table, value functions, the cost model's parameters,
facility profiles and the scenario. Imports nothing else of sitefinder but ``errors``."""
