"""Study setup: name and goal, what to tune (objective forms), the search-space editor."""
