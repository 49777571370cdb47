"""HTTP target staff_api: the staff workflow under /v1/staff/ (auth, lifecycle transitions, audit)."""
