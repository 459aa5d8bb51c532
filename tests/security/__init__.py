"""Security tests (SECURITY.md sections A, B and C): generated from the app's url_map."""
