"""Moved to apps.console.admin_tools (issue 18: core keeps shared bits only).

Kept for apps/crons/admin.py alone, which another branch is editing; delete
this file once that import points at apps.console.admin_tools.
"""

from apps.console.admin_tools import pretty_json

__all__ = ["pretty_json"]
