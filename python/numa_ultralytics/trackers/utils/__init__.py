"""Tracker utilities (camera-motion compensation)."""
