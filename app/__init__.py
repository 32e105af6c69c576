"""Kappa: a mod manager for Single Player Tarkov that never breaks an install."""

__version__ = "0.1.0"
