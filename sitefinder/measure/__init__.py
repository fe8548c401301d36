"""What each place is like: candidate sites, their criteria (grid, surplus, climate, land), distances on
the ellipsoid, the disk cache and partitions."""
