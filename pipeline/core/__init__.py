"""The pure core: the domain's values and rules, search, working days, the clock, removal texts and
reply rendering. It imports nothing that does I/O (a test guards it)."""
