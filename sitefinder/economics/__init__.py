"""What each place costs and earns: the cost model's figures per site, and those figures in words."""
