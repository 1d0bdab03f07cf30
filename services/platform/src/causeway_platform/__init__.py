"""Platform: owner of the central bus (account 222222222222)."""
