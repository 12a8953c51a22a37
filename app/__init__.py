"""Composition root: entry points, the qasync loop, and the wiring of core objects to widgets."""
