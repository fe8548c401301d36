"""The page's tabs, one module each; only the open tab runs."""
