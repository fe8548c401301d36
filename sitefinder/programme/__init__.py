"""What to build where: a MW target shared out over sites, with the ledger of the limits they use up."""
