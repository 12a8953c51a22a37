"""Charles Schwab's Trader API: a confidential app signed in through the browser, on the generic OAuth engine."""
