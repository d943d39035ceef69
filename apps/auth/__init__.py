"""Custom auth from langgraph.json (`"auth": {"path": ...}`): upstream's langgraph_sdk.Auth, served here.

A plain package, not a Django app: it has no models, and the label "auth" is django.contrib.auth's.
"""
