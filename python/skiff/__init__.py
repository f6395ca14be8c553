"""Skiff's Python SDK. The training client lives in skiff.trainer."""
