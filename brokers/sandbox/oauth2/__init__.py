"""An OAuth 2.1 authorization server and a protected resource, strict where real servers are strict.

Our OAuth client is tested against these two services, so a client bug (a missing PKCE challenge, a
redirect URI that differs by a byte, a resource indicator dropped on refresh, a rotated-out refresh
token used again) must fail here the way it would against a real broker.
"""
