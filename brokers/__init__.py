"""The shared broker core: everything Brokerdeck knows about brokers, with no Qt in it."""
