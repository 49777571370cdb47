"""The local stack behind `make run` and the test fixtures: emulators, moto, one functions-framework process per target,
and a gateway that routes like the production load balancer. Local only; never deployed."""
