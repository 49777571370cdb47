"""What arrives from outside, parsed at the edge: HTTP bodies and responses, Pub/Sub pushes, the OpenAPI documents."""
