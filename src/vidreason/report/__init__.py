"""Reports: leaderboards with bootstrap confidence intervals, and the HTML report."""
