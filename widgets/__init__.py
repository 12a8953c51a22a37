"""Pure views: they render the data they are given and emit intent signals. No I/O, no secrets."""
