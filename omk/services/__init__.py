"""The service layer: the only code that commits. UI, CLI and API call the same functions."""
