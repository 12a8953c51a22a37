"""Charles Schwab's Trader API. This version declares the profile kind; connecting comes next."""
