"""The nightly report: CloudEvent target build_nightly_report, its pure model, renderers and the CLI."""
