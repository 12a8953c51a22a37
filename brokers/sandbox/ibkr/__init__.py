"""The IBKR Client Portal Web API emulator: OAuth 1.0a LST minting, sessions, snapshots, faults, portal."""
