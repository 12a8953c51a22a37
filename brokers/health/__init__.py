"""The status report: every profile's credential health, assembled from the connector registry.

It sits above the broker packages: it asks each profile's connector, never the profile's kind.
"""
