"""Commands added by their feature."""
