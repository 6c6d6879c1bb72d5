"""Command line and configuration."""
