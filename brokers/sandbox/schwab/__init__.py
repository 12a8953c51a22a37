"""An emulated Charles Schwab: its OAuth server (confidential app, exact https callback) and Trader API accounts."""
