"""The steps a use case is made of: each takes the caller's Session and never commits, rolls back or opens a
unit of work of its own, so that a use case's changes are all or nothing."""
