"""Browser tests: the real app on a loopback port, driven by Debian's Chromium via Playwright."""
